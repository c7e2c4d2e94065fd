"""GET organizations/{org}/releases/ and organizations/{org}/sessions/ (release health)."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import unquote

from .context import Request, Response, paged, selected_environments, selected_projects
from .errors import NOT_FOUND, ApiError, known_values
from .model import SESSION_STATUSES, Release
from .monitoring import Deploy
from .pagination import generic_offset_page, offset_page, parse_cursor, parse_paging, parse_per_page
from .search import split_values, tokenize
from .timeutil import DAY, HOUR, iso_ms, iso_s, parse_period, rolled_up, window_from_params

SESSION_FIELDS = ("sum(session)", "count_unique(user)", "crash_free_rate(session)", "crash_free_rate(user)",
                  "crash_rate(session)", "crash_rate(user)")
SESSION_GROUP_BYS = ("project", "release", "environment", "session.status")
MAX_SESSION_POINTS = 10_000
# Default window of the sessions endpoint when none is given. UNCERTAIN: taken as 24 hours.
DEFAULT_SESSIONS_PERIOD = DAY


def releases(request: Request) -> Response:
    org = request.org
    per_page, cursor = parse_paging(request.params)
    project_ids = {p.int_id for p in selected_projects(request)}
    environments = selected_environments(request)
    needle = (request.first("query") or "").lower()
    items = [r for r in org.releases
             if project_ids.intersection(r.project_ids) and needle in r.version.lower()
             and (not environments or _has_sessions_in(org, r, environments))]
    items.sort(key=lambda r: (r.date_created, r.id), reverse=True)  # most recent first
    page = offset_page(items, cursor, per_page)
    body = [_release_json(org, r, project_ids) for r in page.items]
    return paged(request, page, body)


def deploys(request: Request) -> Response:
    """organizations/{org}/releases/{version}/deploys/: newest finished first. UNCERTAIN: the order and
    the paginator (OffsetPaginator here) are not in the contract; the shape is the schema's."""
    version = unquote(request.path_args["version"])
    release = next((r for r in request.org.releases if r.version == version), None)
    if release is None:
        raise ApiError(404, NOT_FOUND)
    per_page, cursor = parse_paging(request.params)
    items = sorted(release.deploys, key=lambda d: (d.date_finished, int(d.id)), reverse=True)
    page = offset_page(items, cursor, per_page)
    return paged(request, page, [deploy_json(d) for d in page.items])


def deploy_json(deploy: Deploy) -> dict:
    return {"id": deploy.id, "environment": deploy.environment, "dateStarted": iso_ms(deploy.date_started),
            "dateFinished": iso_ms(deploy.date_finished), "name": deploy.name, "url": deploy.url}


def _has_sessions_in(org, release: Release, environments) -> bool:
    return any(rel == release.version and env in environments for (_pid, rel, env) in org.sessions)


def _release_json(org, release: Release, project_ids: set) -> dict:
    projects = []
    for pid in release.project_ids:
        if pid not in project_ids:
            continue
        project = org.project(pid)
        has_health = any(p == project.id and rel == release.version for (p, rel, _env) in org.sessions)
        item = {"id": project.int_id, "slug": project.slug, "name": project.name, "platform": project.platform,
                "platforms": [project.platform], "hasHealthData": has_health, "newGroups": release.new_groups}
        projects.append(item)
    package, _, raw = release.version.rpartition("@")
    parts = (raw.split(".") + ["0", "0", "0"])[:3]
    numbers = [int(p) if p.isdigit() else 0 for p in parts]
    return {
        "id": release.id, "version": release.version, "shortVersion": raw or release.version, "status": "open",
        "versionInfo": {"package": package or None,
                        "version": {"raw": raw, "major": numbers[0], "minor": numbers[1], "patch": numbers[2],
                                    "pre": None, "buildCode": None, "components": 3},
                        "description": raw, "buildHash": None},
        "ref": None, "url": None, "dateReleased": iso_ms(release.date_released),
        "dateCreated": iso_ms(release.date_created), "data": {}, "newGroups": release.new_groups, "owner": None,
        "commitCount": release.commit_count, "lastCommit": None, "deployCount": len(release.deploys),
        "lastDeploy": deploy_json(max(release.deploys, key=lambda d: (d.date_finished, int(d.id))))
        if release.deploys else None,
        "authors": [], "projects": projects, "firstEvent": None, "lastEvent": None, "currentProjectMeta": {},
        "userAgent": None,
    }


def sessions(request: Request) -> Response:
    """Release health, as organization_sessions.py answers it (§0.8): at most 10,000 data points
    (groups x intervals), only the top groups by ``sum(session)`` (or ``orderBy``), paginated with
    ``per_page`` and ``cursor``. ``includeSeries`` is ignored, as in the versions the contract read.

    UNCERTAIN: without ``per_page`` the answer here holds every top group up to the cap, and its Link
    says whether more exist; the contract does not give the default page size.
    """
    org = request.org
    fields = known_values(request.params, "field", SESSION_FIELDS)
    if not fields:
        raise ApiError(400, 'Request is missing a "field"')
    group_by = known_values(request.params, "groupBy", SESSION_GROUP_BYS)
    interval = parse_period(request.first("interval", "1h") or "1h")
    if not interval or interval % HOUR:
        raise ApiError(400, "The interval has to be a multiple of the minimum interval of one hour.")
    order_by = request.first("orderBy") or "-sum(session)"
    if order_by.lstrip("-") not in fields and order_by != "-sum(session)":
        raise ApiError(400, "'orderBy' must be one of the provided 'fields'")
    per_page = parse_per_page(request.params) if request.has("per_page") else None
    cursor = parse_cursor(request.params)
    start, end = window_from_params(request.params, request.now, DEFAULT_SESSIONS_PERIOD)
    start, end, buckets = rolled_up(start, end, interval, MAX_SESSION_POINTS)
    project_ids = {p.id for p in selected_projects(request)}
    environments = selected_environments(request)
    releases_wanted, release_excluded, envs_from_query = _session_query(request.first("query", ""))
    include_totals = request.first("includeTotals", "1") != "0"
    # (group key) -> per-bucket accumulators
    acc: dict = defaultdict(lambda: [_empty() for _ in range(buckets)])
    totals_acc: dict = defaultdict(_empty)
    statuses = SESSION_STATUSES if "session.status" in group_by else (None,)
    for (pid, release, env), hours in org.sessions.items():
        if pid not in project_ids or (environments and env not in environments):
            continue
        if (releases_wanted and release not in releases_wanted) or release in release_excluded:
            continue
        if envs_from_query and env not in envs_from_query:
            continue
        for hour, cell in hours.items():
            if not start <= hour < end:
                continue
            for status in statuses:
                parts = {"project": int(pid), "release": release, "environment": env, "session.status": status}
                key = tuple((name, parts[name]) for name in group_by)
                _add(acc[key][(hour - start) // interval], cell, status)
                _add(totals_acc[key], cell, status)
    order_field = order_by.lstrip("-")
    ranked = sorted(acc, key=lambda k: (_value(totals_acc[k], order_field, k) or 0, repr(k)),
                    reverse=order_by.startswith("-"))
    cap = max(MAX_SESSION_POINTS // buckets, 1)  # groups that fit in 10,000 data points
    page = generic_offset_page(ranked, cursor, min(per_page or cap, cap))
    groups = []
    for key in page.items:
        group = {"by": dict(key)}
        if include_totals:
            group["totals"] = {name: _value(totals_acc[key], name, key) for name in fields}
        group["series"] = {name: [_value(b, name, key) for b in acc[key]] for name in fields}
        groups.append(group)
    body = {"start": iso_s(start), "end": iso_s(end), "intervals": [iso_s(start + i * interval) for i in range(buckets)],
            "groups": groups, "query": request.first("query", "") or ""}
    return paged(request, page, body)


def _session_query(text: str):
    wanted, excluded, envs = set(), set(), set()
    for token in tokenize(text):
        if token[0] != "filter" or token[2] not in ("release", "environment"):
            raise ApiError(400, f"Unsupported search term in sessions query: {text!r}")
        _, negate, key, value = token
        values = set(split_values(value))
        if key == "release":
            (excluded if negate else wanted).update(values)
        else:
            envs.update(values)
    return wanted, excluded, envs


def _empty() -> dict:
    return {"sessions": 0, "crashed": 0, "users": 0, "crashed_users": 0}


def _add(target: dict, cell: dict, status: str | None) -> None:
    """Accumulate one hour's cell; with a session.status group only that status' sessions and users."""
    if status is None:
        target["sessions"] += cell["healthy"] + cell["errored"] + cell["crashed"] + cell["abnormal"]
        target["crashed"] += cell["crashed"]
        target["users"] = max(target["users"], cell["users"])
        target["crashed_users"] = max(target["crashed_users"], cell["crashed_users"])
        return
    target["sessions"] += cell[status]
    status_users = {"crashed": cell["crashed_users"], "errored": cell["errored_users"], "abnormal": 0,
                    "healthy": max(cell["users"] - cell["crashed_users"] - cell["errored_users"], 0)}[status]
    target["users"] = max(target["users"], status_users)


def _value(cell: dict, field: str, key: tuple):
    """One field's value. Rates are fractions in 0..1 (UNCERTAIN per contract 4f) and null when
    grouped by session.status or when there is no data."""
    if field == "sum(session)":
        return cell["sessions"]
    if field == "count_unique(user)":
        return cell["users"]
    if any(name == "session.status" for name, _ in key):
        return None
    if field.endswith("(session)"):
        rate = cell["crashed"] / cell["sessions"] if cell["sessions"] else None
    else:
        rate = cell["crashed_users"] / cell["users"] if cell["users"] else None
    if rate is None:
        return None
    return 1 - rate if field.startswith("crash_free") else rate
