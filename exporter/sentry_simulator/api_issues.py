"""GET organizations/{org}/issues/ and the deprecated projects/{org}/{project}/issues/."""

from __future__ import annotations

from .context import Request, Response, paged, project_from_path, selected_environments, selected_projects
from .errors import ApiError
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
    if not projects:
        return Response([])
    # Absent query -> DEFAULT_QUERY with its silent priority filter; an empty query means no filter.
    text = request.first("query", "") if request.has("query") else DEFAULT_ISSUE_QUERY
    slugs = {p.slug: p for p in org.projects.values()}
    query = parse_issue_query(text, request.now, slugs)
    project_ids = frozenset(p.id for p in projects)
    opts = SerializeOptions(request.link_base, start, end, request.now, environments, group_stats or None,
                            query, expand, collapse)
    direct = org.issue_by_short_id(text.strip()) if request.first("shortIdLookup") == "1" else None
    if direct is not None and direct.project.id in project_ids:
        # A short-id lookup answers with the issue itself, no pagination (contract 4b).
        return Response([serialize_issue(direct, org, opts)], headers={"X-Sentry-Direct-Hit": "1"})
    listing = search_issues(org, project_ids, environments, start, end, query, sort,
                            (project_ids, environments, text, sort))
    page = score_page(listing.neg_scores, listing.issues, cursor, limit, listing.scores)
    body = [serialize_issue(issue, org, opts) for issue in page.items]
    hits = min(len(listing.issues), MAX_HITS)
    return paged(request, page, body, {"X-Hits": str(hits), "X-Max-Hits": str(MAX_HITS)})


def project_issues(request: Request) -> Response:
    """Deprecated endpoint: ``statsPeriod`` is the sparkline period, counts are all-time."""
    org = request.org
    project = project_from_path(request)
    sparkline = request.first("statsPeriod", "24h")
    if sparkline not in ("", "24h", "14d"):
        raise ApiError(400, _GROUP_STATS_ERROR)
    if request.has("hashes") and request.has("query"):
        raise ApiError(400, "Cannot use 'hashes' with 'query'")
    environments = selected_environments(request)
    if environments and len(environments) > 1:
        environments = frozenset(sorted(environments)[:1])  # the project endpoint takes one environment
    sort = request.first("sort", "date") or "date"
    if sort not in SORTS:
        raise ApiError(400, f"Invalid sort: {sort!r}")
    limit = parse_limit(request.params)
    cursor = parse_cursor(request.params)
    text = request.first("query", "is:unresolved") if request.has("query") else "is:unresolved"
    query = parse_issue_query(text, request.now, {project.slug: project})
    listing = search_issues(org, frozenset((project.id,)), environments, float("-inf"), float("inf"), query, sort,
                            ("project", project.id, environments, text, sort))
    page = score_page(listing.neg_scores, listing.issues, cursor, limit, listing.scores)
    opts = SerializeOptions(request.link_base, float("-inf"), float("inf"), request.now, environments,
                            sparkline or None, query, project_endpoint=True)
    body = [serialize_issue(issue, org, opts) for issue in page.items]
    hits = min(len(listing.issues), 1000)
    return paged(request, page, body, {"X-Hits": str(hits), "X-Max-Hits": "1000"})
