"""The error raised by endpoint code; the server turns it into a DRF-style response."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, detail, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        # Most Sentry errors are {"detail": "..."}; a few (projects' statsPeriod) use another shape.
        self.body = detail if isinstance(detail, dict) else {"detail": detail}
        self.headers = headers or {}


def require_known(values, allowed, what: str) -> None:
    """Sentry's 400 for a parameter value it does not know, e.g. 'Invalid groupBy: "x"'."""
    for value in values:
        if value not in allowed:
            raise ApiError(400, f'Invalid {what}: "{value}"')


NOT_FOUND = "The requested resource does not exist"
FORBIDDEN = "You do not have permission to perform this action."
