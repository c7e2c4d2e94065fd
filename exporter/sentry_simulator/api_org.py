"""GET organizations/{org}/projects/."""

from __future__ import annotations

from .context import Request, Response, paged
from .errors import ApiError
from .model import Project
from .pagination import offset_page, parse_paging
from .timeutil import iso_ms

_PROJECT_STATS_PERIODS = ("", "1h", "24h", "7d", "14d", "30d")
_ACCESS = ["org:read", "project:read", "event:read", "team:read", "member:read", "alerts:read"]
_FLAGS = ("hasFeedbacks", "hasFlags", "hasMinifiedStackTrace", "hasMonitors", "hasNewFeedbacks", "hasProfiles",
          "hasReplays", "hasInsightsHttp", "hasInsightsDb", "hasInsightsAssets", "hasInsightsAppStart",
          "hasInsightsScreenLoad", "hasInsightsVitals", "hasInsightsCaches", "hasInsightsQueues",
          "hasInsightsAgentMonitoring", "hasInsightsMCP", "hasLogs", "hasTraceMetrics")


def projects(request: Request) -> Response:
    org = request.org
    per_page, cursor = parse_paging(request.params)
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
    """OrganizationProjectsEndpoint's summary: the shared project fields plus teams and the latest release."""
    org = request.org
    teams = [{"id": str(i + 1), "name": t, "slug": t} for i, t in enumerate(project.teams)]
    latest = max((r for r in org.releases if project.int_id in r.project_ids),
                 key=lambda r: (r.date_created, r.id), default=None)
    data = project_fields(project, org)
    data.update({
        "team": teams[0] if teams else None,
        "teams": teams,
        "platforms": [project.platform] if project.platform else [],
        "environments": list(org.environments),
        "latestRelease": {"version": latest.version} if latest else None,
        "hasUserReports": False,
    })
    return data


def project_serializer_json(project: Project, org) -> dict:
    """``ProjectSerializer`` as nested in other answers (a monitor's ``project``)."""
    data = project_fields(project, org)
    data.update({"isInternal": False, "isPublic": False, "color": "#3f70bf", "status": "active",
                 "avatar": {"avatarType": "letter_avatar", "avatarUuid": None, "avatarUrl": None}})
    return data


def project_fields(project: Project, org) -> dict:
    has_sessions = any(key[0] == project.id for key in org.sessions)
    first_event = min((i.first_seen for i in org.issues.values()
                       if i.project is project and i.first_seen is not None), default=None)
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
    }
    data.update(dict.fromkeys(_FLAGS, False))
    data["hasMonitors"] = any(m.project is project for m in org.monitors.values())
    return data
