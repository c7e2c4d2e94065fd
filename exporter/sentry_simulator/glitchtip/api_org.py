"""The org-level answers: ``/api/settings/`` (the detection probe), the organization, its projects."""

from __future__ import annotations

from ..context import Response
from ..model import Org, Project
from .ninja import QueryParams
from .paging import Ordering, paginate, read_paging
from .timefmt import django_iso

VERSION = "5.2.0"  # settings.GLITCHTIP_VERSION comes from the deployment's environment


def public(handler):
    """A route declared with ``auth=None``: answered without a token."""
    handler.public = True
    return handler


@public
def settings(request) -> Response:
    """GET /api/settings/ (glitchtip/api/api.py get_settings, SettingsOut; ``auth=None``). Sentry has no
    such route, so this answer, with its ``iPaidForGlitchTip``, tells the two apart without a token."""
    return Response({
        "socialApps": [],
        "billingEnabled": False,
        "iPaidForGlitchTip": False,
        "enableUserRegistration": False,
        "enableSocialAppsUserRegistration": False,
        "enableOrganizationCreation": False,
        "stripePublicKey": None,
        "plausibleUrl": None,
        "plausibleDomain": None,
        "chatwootWebsiteToken": None,
        "sentryDSN": None,
        "sentryTracesSampleRate": None,
        "environment": None,
        "version": VERSION,
        "serverTimeZone": "UTC",
        "glitchtipInstanceName": None,
    })


def organization(request) -> Response:
    """GET organizations/{org}/ (apps/organizations_ext/api.py get_organization: org:read|write|admin;
    OrganizationDetailSchema in apps/teams/schema.py)."""
    request.require("org:read", "org:write", "org:admin")
    request.organization()
    org = request.org
    data = organization_json(org)
    data["projects"] = [project_json(p, org) for p in sorted(org.projects.values(), key=lambda p: p.name)]
    data["teams"] = [{"id": str(number), "slug": slug, "dateCreated": django_iso(org.date_created),
                      "isMember": org.member_teams is None or slug in org.member_teams,
                      "memberCount": 1} for slug, number in team_ids(org).items()]
    return Response(data)


def projects(request) -> Response:
    """GET organizations/{org}/projects/ (apps/projects/api.py list_organization_projects: project:read;
    ordered by name; ``query`` takes ``team:slug`` and ``!team:slug``; an unknown org is an empty list,
    not a 404: get_projects_queryset only filters)."""
    query = QueryParams(request.params)
    limit, cursor = read_paging(query)
    text = query.text("query")
    query.check()
    request.require("project:read")
    org = request.org
    rows = sorted(org.projects.values(), key=lambda p: p.name) if request.path_args["org"] == org.slug else []
    for part in (text or "").split():
        name, _, value = part.partition(":")
        if name == "team":
            rows = [p for p in rows if value in p.teams]
        elif name == "!team":
            rows = [p for p in rows if value not in p.teams]
    page, headers = paginate(request, rows, Ordering(lambda p: p.name, False), limit, cursor)
    return Response([project_json(p, org) for p in page], headers=headers)


def organization_json(org: Org) -> dict:
    """apps/organizations_ext/schema.py OrganizationSchema."""
    return {"id": str(org.id), "name": org.name, "slug": org.slug, "isAcceptingEvents": True,
            "eventThrottleRate": 0, "dateCreated": django_iso(org.date_created),
            "status": {"id": "active", "name": "active"}, "avatar": {"avatarType": "", "avatarUuid": None},
            "isEarlyAdopter": False, "require2fa": False}


def project_json(project: Project, org: Org) -> dict:
    """apps/teams/schema.py ProjectTeamSchema: apps/projects/schema.py ProjectSchema plus its teams."""
    first_event = min((i.first_seen for i in org.issues.values()
                       if i.project is project and i.first_seen is not None), default=None)
    ids = team_ids(org)
    return {
        "name": project.name,
        "slug": project.slug,
        "id": project.id,
        "avatar": {"avatarType": "", "avatarUuid": None},
        "color": "",
        "features": [],
        "hasAccess": True,
        "isBookmarked": False,
        "isInternal": False,
        "isMember": org.member_teams is None or bool(org.member_teams.intersection(project.teams)),
        "isPublic": False,
        "scrubIPAddresses": True,
        "dateCreated": django_iso(project.date_created),
        "platform": project.platform,
        "firstEvent": django_iso(first_event),
        "eventThrottleRate": 0,
        "teams": [{"id": str(ids[t]), "slug": t} for t in project.teams],
    }


def team_ids(org: Org) -> dict[str, int]:
    slugs = sorted({t for p in org.projects.values() for t in p.teams})
    return {slug: number for number, slug in enumerate(slugs, start=1)}
