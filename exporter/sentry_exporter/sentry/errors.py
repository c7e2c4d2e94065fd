"""Errors from talking to Sentry. Messages are safe to log: they never hold the token."""

from __future__ import annotations

from ..config import REQUIRED_SCOPES


class SentryError(Exception):
    def __init__(self, endpoint: str, message: str, status: int | None = None):
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint
        self.status = status


class AuthError(SentryError):
    """401/403: retrying cannot help until someone fixes the token or its scopes."""

    def __init__(self, endpoint: str, status: int, detail: str):
        super().__init__(endpoint, f"Sentry rejected the token (HTTP {status}: {detail}); "
                                   f"it needs the scopes {REQUIRED_SCOPES}", status)


class MalformedResponse(SentryError):
    """The body was not the JSON shape the contract promises."""
