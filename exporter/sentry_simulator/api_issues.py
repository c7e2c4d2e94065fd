"""GET organizations/{org}/issues/."""

from __future__ import annotations

from .context import Request, Response, paged, selected_environments, selected_projects
from .errors import FORBIDDEN, ApiError
from .issues import (COLLAPSES, EXPANDS, SORTS, SerializeOptions, parse_choice_list, search_issues,
                     serialize_issue)
from .pagination import MAX_HITS, parse_cursor, parse_limit, score_page
from .search import DEFAULT_ISSUE_QUERY, parse_issue_query
from .timeutil import window_from_params

_GROUP_STATS_ERROR = "Invalid stats_period. Valid choices are '', '24h', and '14d'"


def org_issues(request: Request) -> Response:
    org = request.org
    projects = selected_projects(request)
    environments = selected_environments(request)
    group_stats = request.first("groupStatsPeriod", "24h")
    if group_stats not in ("", "24h", "14d", "auto"):
        raise ApiError(400, _GROUP_STATS_ERROR)
    sort = request.first("sort", "date") or "date"
    if sort not in SORTS:
        raise ApiError(400, f"Invalid sort: {sort!r}")
    expand = parse_choice_list(request.params, "expand", EXPANDS)
    collapse = parse_choice_list(request.params, "collapse", COLLAPSES)
    limit = parse_limit(request.params)
    cursor = parse_cursor(request.params)
    start, end = window_from_params(request.params, request.now)
    if request.behaviour.minus_one_is_no_project and "-1" in request.params.get("project", []):
        projects = []
    if not projects:
        return Response([])
    if len(projects) > 1 and not request.behaviour.global_views:
        raise ApiError(400, "You do not have the multi project stream feature enabled")
    # Absent query -> DEFAULT_QUERY with its silent priority filter; an empty query means no filter.
    text = request.first("query", "") if request.has("query") else DEFAULT_ISSUE_QUERY
    slugs = {p.slug: p for p in org.projects.values()}
    query = parse_issue_query(text, request.now, slugs)
    project_ids = frozenset(p.id for p in projects)
    opts = SerializeOptions(request.link_base, start, end, request.now, environments, group_stats or None,
                            query, expand, collapse, request.behaviour)
    direct = org.issue_by_short_id(text.strip()) if request.first("shortIdLookup") == "1" else None
    if direct is not None and direct.project.id in project_ids:
        # A short-id lookup answers with the issue itself, no pagination (contract 4b).
        return Response([serialize_issue(direct, org, opts)], headers={"X-Sentry-Direct-Hit": "1"})
    if request.has("group"):
        return Response([serialize_issue(issue, org, opts) for issue in _groups_by_id(request, project_ids)])
    project_ids -= request.behaviour.hidden_projects
    listing = search_issues(org, project_ids, environments, start, end, query, sort,
                            (project_ids, environments, text, sort))
    issues, scores, neg_scores = listing.issues, listing.scores, listing.neg_scores
    cut = request.behaviour.listing_cut
    if cut is not None:  # the chunked search ran out of time: what it found so far, and "no more"
        issues, scores, neg_scores = issues[:cut], scores[:cut], neg_scores[:cut]
    page = score_page(neg_scores, issues, cursor, limit, scores)
    body = [serialize_issue(issue, org, opts) for issue in page.items]
    hits = min(len(issues), MAX_HITS)
    return paged(request, page, body, {"X-Hits": str(hits), "X-Max-Hits": str(MAX_HITS)})


def _groups_by_id(request: Request, project_ids: frozenset) -> list:
    """``group=ID&group=ID…``: exactly those issues of the selected projects, in their current status,
    whatever the query and window say; merged or deleted ones are absent (organization_group_index.py:
    "If group ids specified, just ignore any query components")."""
    try:
        ids = {int(value) for value in request.params["group"]}
    except ValueError:
        raise ApiError(400, "Group ids must be integers") from None
    issues = request.org.issues
    found = [issues[i] for i in sorted(ids) if i in issues and issues[i].project.id in project_ids]
    if any(issue.project.id in request.behaviour.hidden_projects for issue in found):
        raise ApiError(403, FORBIDDEN)
    return found
