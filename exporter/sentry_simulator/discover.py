"""What every Discover dataset of GET organizations/{org}/events/ checks the same way: the fields, the
sort, the pages, the projects (global-views, §0.10), the environments and the window."""

from __future__ import annotations

from dataclasses import dataclass

from .context import Request, selected_environments, selected_projects
from .errors import ApiError
from .pagination import parse_paging
from .timeutil import DAY, window_from_params

MAX_FIELDS = 20
# The events endpoint's default window when none is given. UNCERTAIN: taken as 14 days.
DEFAULT_PERIOD = 14 * DAY


@dataclass
class DiscoverQuery:
    columns: list
    sort: str | None
    per_page: int
    cursor: object
    projects: set
    environments: frozenset | None
    start: float
    end: float


def discover_query(request: Request, column_type) -> DiscoverQuery:
    """The request's query, its fields parsed by `column_type` (which raises Sentry's 400s)."""
    names = request.params.get("field", [])
    if not names:
        raise ApiError(400, "No columns selected")
    if len(names) > MAX_FIELDS:
        raise ApiError(400, "You can view up to 20 fields at a time. Please delete some and try again.")
    columns = [column_type(name) for name in names]
    sort = request.first("sort")
    if sort and sort.lstrip("-") not in names:
        raise ApiError(400, f"Cannot order by a field that is not selected: {sort.lstrip('-')!r}")
    per_page, cursor = parse_paging(request.params)
    projects = {p.id for p in selected_projects(request)}
    if len(projects) > 1 and not request.behaviour.global_views:
        raise ApiError(400, "You cannot view events from multiple projects.")
    environments = selected_environments(request)
    start, end = window_from_params(request.params, request.now, DEFAULT_PERIOD)
    return DiscoverQuery(columns, sort, per_page, cursor, projects, environments, start, end)


def sort_rows(rows: list, sort: str | None) -> None:
    if sort:
        name = sort.lstrip("-")
        rows.sort(key=lambda row: (row[name] is None, row[name]), reverse=sort.startswith("-"))
