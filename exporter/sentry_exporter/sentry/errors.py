"""Errors from talking to Sentry. Messages are safe to log: they never hold the token."""

from __future__ import annotations

from ..config import REQUIRED_SCOPES

# Org auth tokens carry the prefix SENTRY_ORG_AUTH_TOKEN_PREFIX (`src/sentry/api/authentication.py`) and
# only the scope org:ci, which the org-auth-token create endpoint hard-codes (CONTRACT.md §0.2).
ORG_TOKEN_PREFIX = "sntrys_"


class SentryError(Exception):
    def __init__(self, endpoint: str, message: str, status: int | None = None):
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint
        self.status = status


class AuthError(SentryError):
    """401/403: retrying cannot help until someone fixes the token or its scopes.

    `detail` is the server's own reason, truncated and with the token masked; the message quotes it
    next to the scopes we need, since a server may want a scope we do not list (project:releases).
    """

    def __init__(self, endpoint: str, status: int, detail: str, org_token: bool = False):
        if org_token and status == 403:
            advice = (f"this is an org auth token ({ORG_TOKEN_PREFIX}…), which carries only the scope org:ci; "
                      f"use a user auth token (sntryu_…) or an internal integration's token with the scopes "
                      f"{REQUIRED_SCOPES}")
        else:
            advice = f"it needs the scopes {REQUIRED_SCOPES}"
        super().__init__(endpoint, f"Sentry rejected the token (HTTP {status}: {detail!r}); {advice}", status)
        self.detail = detail


class ContractError(SentryError):
    """A 400 that is not Sentry throttling: our request broke the API contract, or this server
    reads it differently. Retrying the same request cannot help, so a caller says it once per
    `once_key` and not on every poll."""

    def __init__(self, endpoint: str, detail: str):
        super().__init__(endpoint, f"Sentry refused the request as invalid (HTTP 400: {detail!r})", 400)
        self.detail = detail

    @property
    def once_key(self) -> tuple[str, str]:
        return self.endpoint, self.detail


class Unsupported(SentryError):
    """This token or server cannot answer a poller at all (403, 404, or a 400 for a dataset it does not
    know): the poller is left out of sentry_up and /readyz and says why in sentry_poll_unsupported."""

    def __init__(self, endpoint: str, reason: str, status: int | None):
        super().__init__(endpoint, f"unsupported here ({reason}, HTTP {status})", status)
        self.reason = reason


def unsupported(error: SentryError) -> Unsupported | None:
    """The Unsupported that `error` means for an optional endpoint, or None when it is a failure.
    401 stays an AuthError: a token Sentry does not know fails every poller alike."""
    reason = {403: "forbidden", 404: "not_found", 400: "rejected"}.get(error.status)
    if reason is None or isinstance(error, Unsupported):
        return None
    return Unsupported(error.endpoint, reason, error.status)


class MalformedResponse(SentryError):
    """The body was not the JSON shape the contract promises."""
