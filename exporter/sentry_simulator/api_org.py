"""GET organizations/{org}/, …/projects/ and …/environments/."""

from __future__ import annotations

from .context import Request, Response, paged
from .errors import ApiError
from .model import Project
from .pagination import offset_page, parse_cursor, parse_per_page
from .timeutil import iso_ms

_PROJECT_STATS_PERIODS = ("", "1h", "24h", "7d", "14d", "30d")
_FEATURES = ["discover-basic", "performance-view", "global-views", "incidents", "sso-basic"]
_ACCESS = ["org:read", "project:read", "event:read", "team:read", "member:read", "alerts:read"]


def organization(request: Request) -> Response:
    org = request.org
    return Response({
        "id": org.id,
        "slug": org.slug,
        "status": {"id": "active", "name": "active"},
        "name": org.name,
        "dateCreated": iso_ms(org.date_created),
        "isEarlyAdopter": False,
        "require2FA": False,
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None},
        # regionUrl is absent on self-hosted per the contract; the fake behaves like one region host.
        "links": {"organizationUrl": request.link_base, "regionUrl": request.link_base},
        "hasAuthProvider": False,
        "allowMemberInvite": True,
        "allowMemberProjectCreation": True,
        "allowSuperuserAccess": False,
        "features": _FEATURES,
        "access": _ACCESS,
    })


def projects(request: Request) -> Response:
    org = request.org
    per_page = parse_per_page(request.params)
    cursor = parse_cursor(request.params)
    period = request.first("statsPeriod")
    if period is not None and period not in _PROJECT_STATS_PERIODS:
        raise ApiError(400, {"error": {"params": {"stats_period": {
            "message": "Invalid stats_period. Valid choices are '', '24h', '14d', and '30d'"}}}})
    items = sorted(org.projects.values(), key=lambda p: (not p.is_bookmarked, p.slug))
    needle = (request.first("query") or "").strip().lower()
    if needle:
        items = [p for p in items if _project_matches(p, needle)]
    if request.first("all_projects") == "1":
        return Response([_project_json(p, request) for p in items])
    page = offset_page(items, cursor, per_page)
    return paged(request, page, [_project_json(p, request) for p in page.items])


def _project_matches(project: Project, needle: str) -> bool:
    for prefix, attr in (("id:", project.id), ("slug:", project.slug)):
        if needle.startswith(prefix):
            return needle[len(prefix):] == attr
    if needle.startswith("team:"):
        return needle[5:] in project.teams
    return needle in project.slug or needle in project.name.lower()


def _project_json(project: Project, request: Request) -> dict:
    org = request.org
    teams = [{"id": str(i + 1), "name": t, "slug": t} for i, t in enumerate(project.teams)]
    latest = max((r for r in org.releases if project.int_id in r.project_ids),
                 key=lambda r: (r.date_created, r.id), default=None)
    has_sessions = any(key[0] == project.id for key in org.sessions)
    first_event = min((i.first_seen for i in org.issues.values()
                       if i.project is project and i.first_seen is not None), default=None)
    flags = ("hasFeedbacks", "hasFlags", "hasMinifiedStackTrace", "hasMonitors", "hasNewFeedbacks", "hasProfiles",
             "hasReplays", "hasInsightsHttp", "hasInsightsDb", "hasInsightsAssets", "hasInsightsAppStart",
             "hasInsightsScreenLoad", "hasInsightsVitals", "hasInsightsCaches", "hasInsightsQueues",
             "hasInsightsAgentMonitoring", "hasInsightsMCP", "hasLogs", "hasTraceMetrics", "hasUserReports")
    data = {
        "id": project.id,
        "slug": project.slug,
        "name": project.name,
        "platform": project.platform,
        "dateCreated": iso_ms(project.date_created),
        "isBookmarked": project.is_bookmarked,
        "isMember": True,
        "features": [],
        "firstEvent": iso_ms(first_event),
        "firstTransactionEvent": False,
        "access": _ACCESS,
        "hasAccess": True,
        "hasSessions": has_sessions,
        "team": teams[0] if teams else None,
        "teams": teams,
        "platforms": [project.platform] if project.platform else [],
        "environments": list(org.environments),
        "latestRelease": {"version": latest.version} if latest else None,
    }
    data.update(dict.fromkeys(flags, False))
    return data


def environments(request: Request) -> Response:
    visibility = request.first("visibility", "visible")
    if visibility not in ("all", "hidden", "visible"):
        raise ApiError(400, "Invalid value for 'visibility', valid values are: ['all', 'hidden', 'visible']")
    if visibility == "hidden":
        return Response([])
    return Response([{"id": str(i + 1), "name": name} for i, name in enumerate(request.org.environments)])
