"""What an endpoint handler gets, and the helpers they share (project/environment selection)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import FORBIDDEN, NOT_FOUND, ApiError
from .model import Org, Project
from .pagination import Page, link_header
from .switches import Behaviour


@dataclass
class Request:
    org: Org
    path: str
    params: dict            # name -> [values], blank values kept
    now: float
    link_base: str          # host written into Link headers and permalinks
    path_args: dict = field(default_factory=dict)
    behaviour: Behaviour = field(default_factory=Behaviour)

    def first(self, name: str, default=None):
        values = self.params.get(name)
        return values[0] if values else default

    def has(self, name: str) -> bool:
        return name in self.params


@dataclass
class Response:
    body: object
    status: int = 200
    headers: dict = field(default_factory=dict)
    content_type: str | None = None  # None: ``body`` is JSON; else ``body`` is the bytes sent as this type


def paged(request: Request, page: Page, body, headers: dict | None = None) -> Response:
    headers = dict(headers or {})
    headers["Link"] = link_header(request.link_base, request.path, request.params, page.prev, page.prev_results,
                                  page.next, page.next_results)
    return Response(body, 200, headers)


def selected_projects(request: Request) -> list[Project]:
    """``project`` params (ids or slugs); unknown ones are 403 like OrganizationEndpoint.get_projects.
    -1 is every project the token can see; none is only the projects of the token user's teams
    (``_get_projects_by_id`` in src/sentry/api/bases/organization.py: "no project_ids means 'all projects
    I am a member of'", has_project_membership; CONTRACT §0.15)."""
    org = request.org
    values = [v for v in request.params.get("project", []) if v != ""]
    if not values or "-1" in values:
        everyone = sorted(org.projects.values(), key=lambda p: p.slug)
        if values or org.member_teams is None:
            return everyone
        return [p for p in everyone if org.member_teams.intersection(p.teams)]
    chosen = []
    for value in values:
        try:
            chosen.append(org.project(value))
        except KeyError:
            raise ApiError(403, FORBIDDEN) from None
    return chosen


def selected_environments(request: Request, name: str = "environment") -> frozenset | None:
    """Unknown environment names are 404 (api/helpers/environments.py)."""
    values = [v for v in request.params.get(name, []) if v != ""]
    if not values:
        return None
    for value in values:
        if value not in request.org.environments:
            raise ApiError(404, NOT_FOUND)
    return frozenset(values)

