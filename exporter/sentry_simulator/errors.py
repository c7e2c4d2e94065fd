"""The error raised by endpoint code; the server turns it into a DRF-style response."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, detail, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        # Most Sentry errors are {"detail": "..."}; a few (projects' statsPeriod) use another shape.
        self.body = detail if isinstance(detail, dict) else {"detail": detail}
        self.headers = headers or {}


def known_values(params, name: str, allowed) -> list[str]:
    """The values of query parameter `name`; Sentry's 400 for one it does not know, e.g. 'Invalid groupBy: "x"'."""
    values = params.get(name, [])
    for value in values:
        if value not in allowed:
            raise ApiError(400, f'Invalid {name}: "{value}"')
    return values


NOT_FOUND = "The requested resource does not exist"
FORBIDDEN = "You do not have permission to perform this action."
