"""The GlitchTip flavour: routes, authentication, scopes and unmatched paths as GlitchTip answers them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..context import Request, Response
from ..errors import ApiError
from ..reply import Reply, json_reply
from . import api_issues, api_org, api_releases, api_stats, api_uptime, pages
from .ninja import PERMISSION_DENIED, UNAUTHORIZED

# apps/api_tokens/models.py APIToken.scopes: every flag a token can hold.
ALL_SCOPES = frozenset({
    "project:read", "project:write", "project:admin", "project:releases", "team:read", "team:write",
    "team:admin", "event:read", "event:write", "event:admin", "org:read", "org:write", "org:admin",
    "member:read", "member:write", "member:admin",
})
# ninja path converters: {slug:…} is Django's [-a-zA-Z0-9_]+, {int:…} is [0-9]+.
_ORG = r"^/api/0/organizations/(?P<org>[-a-zA-Z0-9_]+)/"
# (endpoint name, path pattern, handler), GlitchTip's GET routes the exporter can reach
# (glitchtip/api/api.py mounts each app's router under "api/0/"). Names match the exporter's
# `endpoint` label where the request is the same one.
ROUTES: list[tuple[str, re.Pattern, Callable]] = [
    ("settings", re.compile(r"^/api/settings/$"), api_org.settings),
    ("organization", re.compile(_ORG + "$"), api_org.organization),
    ("projects", re.compile(_ORG + "projects/$"), api_org.projects),
    ("issues", re.compile(_ORG + "issues/$"), api_issues.org_issues),
    ("issue_tags", re.compile(r"^/api/0/issues/(?P<issue>[0-9]+)/tags/$"), api_issues.issue_tags),
    ("stats_v2", re.compile(_ORG + "stats_v2/$"), api_stats.stats_v2),
    ("releases", re.compile(_ORG + "releases/$"), api_releases.releases),
    ("releases", re.compile(r"^/api/0/projects/(?P<org>[-a-zA-Z0-9_]+)/(?P<project>[-a-zA-Z0-9_]+)/releases/$"),
     api_releases.releases),
    ("monitors", re.compile(_ORG + "monitors/$"), api_uptime.monitors),
    ("monitor_checks", re.compile(_ORG + "monitors/(?P<monitor>[0-9]+)/checks/$"), api_uptime.checks),
]


@dataclass
class GlitchTipRequest(Request):
    scopes: frozenset = ALL_SCOPES

    def require(self, *scopes: str) -> None:
        """glitchtip/api/permissions.py has_permission: at least one of ``scopes``, else 403."""
        if not self.scopes.intersection(scopes):
            raise ApiError(403, PERMISSION_DENIED)

    def organization(self) -> None:
        """``aget_object_or_404(Organization, slug=…, users=user)``: by slug only."""
        if self.path_args.get("org") != self.org.slug:
            raise ApiError(404, "Not Found")


class GlitchTipFlavor:
    name = "glitchtip"
    routes = ROUTES

    @staticmethod
    def authenticate(header: str | None, tokens: set) -> tuple[str | None, ApiError | None]:
        """ninja's HttpBearer (glitchtip/api/authentication.py TokenAuth): ``Bearer <token>``, the
        token being everything after the first space; anything else falls through to SessionAuth,
        which finds no session: 401 ``{"detail": "Unauthorized"}``, one answer for every failure."""
        parts = (header or "").split(" ")
        if len(parts) < 2 or parts[0].lower() != "bearer":
            return None, UNAUTHORIZED
        token = " ".join(parts[1:])
        if token not in tokens:
            return None, UNAUTHORIZED
        return token, None

    @staticmethod
    def auth_failed(error: ApiError) -> Reply:
        return json_reply(error.status, error.body)

    @staticmethod
    def unmatched(path: str, content_type: str) -> Reply:
        return pages.unmatched(path, content_type)

    @staticmethod
    def error_reply(status: int) -> Reply:
        """An injected error status as GlitchTip answers it: ninja's JSON bodies for 401, 403 and 404,
        Django's own error page for a 5xx (DEBUG off and no templates/500.html: defaults.server_error)."""
        if status >= 500:
            return Reply(status, pages.SERVER_ERROR_PAGE.encode(), pages.HTML)
        body = {401: "Unauthorized", 403: PERMISSION_DENIED, 404: "Not Found"}.get(status, "Injected fault")
        return json_reply(status, {"detail": body})

    @staticmethod
    def handle(sim, endpoint: str, handler: Callable, path: str, params: dict, path_args: dict,
               token: str | None) -> Response:
        scopes = sim.token_scopes.get(token, ALL_SCOPES)
        with sim.org.lock:
            request = GlitchTipRequest(sim.org, path, params, sim.clock(), sim.link_base, path_args,
                                       sim.behaviour, scopes)
            return handler(request)
