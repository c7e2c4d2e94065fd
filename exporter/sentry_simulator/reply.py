"""What the HTTP layer sends: status, body bytes, content type, headers, and the fault that shaped it."""

from __future__ import annotations

import json


class Reply:
    def __init__(self, status: int, payload: bytes, content_type: str = "application/json",
                 headers: dict | None = None, fault: str | None = None):
        self.status, self.payload, self.content_type = status, payload, content_type
        self.headers = dict(headers or {})
        self.fault = fault


def dumps(body) -> bytes:
    """JSON bytes; None is DRF's ``Response(status=...)`` with no data: an empty body."""
    return b"" if body is None else json.dumps(body, separators=(",", ":")).encode()


def json_reply(status: int, body, headers: dict | None = None) -> Reply:
    return Reply(status, dumps(body), headers=headers)
