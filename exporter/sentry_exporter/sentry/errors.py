"""Errors from talking to Sentry. Messages are safe to log: they never hold the token."""

from __future__ import annotations

from ..config import REQUIRED_SCOPES

# Org auth tokens carry the prefix SENTRY_ORG_AUTH_TOKEN_PREFIX (`src/sentry/api/authentication.py`) and
# only the scope org:ci, which the org-auth-token create endpoint hard-codes (CONTRACT.md §0.2).
ORG_TOKEN_PREFIX = "sntrys_"
# Without the global-views feature, older Sentry refuses a query over several projects with these 400s
# (CONTRACT.md §0.10): Discover in `src/sentry/api/bases/organization_events.py` (get_snuba_params), the
# issues index in `src/sentry/api/endpoints/organization_group_index.py`. One project at a time still works.
GLOBAL_VIEWS_REQUIRED = frozenset({"You cannot view events from multiple projects.",
                                   "You do not have the multi project stream feature enabled"})


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
        if endpoint == "releases":  # GlitchTip's releases list wants more (apps/releases/api.py has_permission)
            advice += "; GlitchTip's releases list needs project:releases as well"
        super().__init__(endpoint, f"Sentry rejected the token (HTTP {status}: {detail!r}); {advice}", status)
        self.detail = detail


class ContractError(SentryError):
    """A 400 that is not Sentry throttling, or a 422 (GlitchTip's validation errors, `detail` naming the
    parameter): our request broke the API contract, or this server reads it differently. Retrying the
    same request cannot help, so a caller says it once per `once_key` and not on every poll."""

    def __init__(self, endpoint: str, detail: str, status: int = 400):
        super().__init__(endpoint, f"Sentry refused the request as invalid (HTTP {status}: {detail!r})", status)
        self.detail = detail

    @property
    def once_key(self) -> tuple[str, str]:
        return self.endpoint, self.detail

    @property
    def global_views_required(self) -> bool:
        """The plan lacks global-views: ask one project at a time instead."""
        return self.detail in GLOBAL_VIEWS_REQUIRED


class NotFound(SentryError):
    """404. `bare` when it came without a JSON body: no route there. Discover answers so (empty) an org
    whose plan lacks the discover-basic and performance-view features (`src/sentry/api/endpoints/
    organization_events.py`: `return Response(status=404)`), and GlitchTip every path it does not have
    (an HTML page: `glitchtip/urls.py` has no such route). A missing org or project says "The requested
    resource does not exist"."""

    def __init__(self, endpoint: str, message: str, bare: bool):
        super().__init__(endpoint, message, 404)
        self.bare = bare


class MalformedResponse(SentryError):
    """The body was not the JSON shape the contract promises."""
