"""GET organizations/{org}/stats_v2/ (outcomes)."""

from __future__ import annotations

from collections import defaultdict

from .context import Request, Response, selected_projects
from .errors import ApiError, known_values
from .model import ERROR_CATEGORIES, OUTCOMES, api_category
from .timeutil import DAY, iso_s, parse_period, rolled_up, window_from_params

FIELDS = ("sum(quantity)", "sum(times_seen)")
GROUP_BYS = ("outcome", "category", "reason", "project")
PUBLIC_CATEGORIES = ("error", "transaction", "attachment", "replay", "profile", "profile_duration",
                     "profile_duration_ui", "profile_chunk", "profile_chunk_ui", "monitor", "span", "log_item",
                     "log_byte")
# snuba/outcomes.py runs the totals query with Limit(10000) and no pagination (§0.9).
MAX_TOTAL_ROWS = 10_000
# Sentry caps rollup buckets per query (outcomes.py: MAX_POINTS); the exact figure is not in the contract,
# so the simulator uses 1000 and says so here.
MAX_INTERVALS = 1000


def stats_v2(request: Request) -> Response:
    org = request.org
    fields = known_values(request.params, "field", FIELDS)
    if not fields:
        raise ApiError(400, 'At least one "field" is required.')
    group_by = known_values(request.params, "groupBy", GROUP_BYS)
    categories = known_values(request.params, "category", PUBLIC_CATEGORIES)
    outcomes = known_values(request.params, "outcome", OUTCOMES)
    if not categories and "category" not in group_by:
        raise ApiError(400, "Query must have category as groupby or filter")
    interval = _interval(request.first("interval", "1h"))
    start, end = window_from_params(request.params, request.now)
    if request.behaviour.stats_inclusive_end and request.has("end") and not request.first("statsPeriod"):
        end += 1  # an older get_constrained_date_range: an explicit end plus one second, rounded up (§0.9)
    start, end, buckets = rolled_up(start, end, interval, MAX_INTERVALS)
    project_ids = {p.id for p in selected_projects(request)}
    wanted_categories = set()
    for name in categories:
        wanted_categories |= ERROR_CATEGORIES if name == "error" else {name}
    reasons = set(request.params.get("reason", []))
    by_project = "project" in group_by
    groups: dict = defaultdict(lambda: {f: [0] * buckets for f in fields})
    for (pid, category, outcome, reason), minutes in org.outcomes.items():
        if pid not in project_ids or (wanted_categories and category not in wanted_categories):
            continue
        if (outcomes and outcome not in outcomes) or (reasons and (reason or "none") not in reasons):
            continue
        key_parts = {"outcome": outcome, "category": api_category(category), "reason": reason or "none",
                     "project": int(pid)}
        key = tuple((name, key_parts[name]) for name in group_by)
        series = None
        for minute, (quantity, times_seen) in minutes.items():
            if start <= minute < end:
                if series is None:
                    series = groups[key]
                index = (minute - start) // interval
                for name in fields:
                    series[name][index] += quantity if name == "sum(quantity)" else times_seen
    body_groups = []
    for key in sorted(groups, key=repr)[:MAX_TOTAL_ROWS]:
        series = groups[key]
        group = {"by": dict(key), "totals": {name: sum(values) for name, values in series.items()}}
        if not by_project:  # grouping by project runs no timeseries: totals only
            group["series"] = series
        body_groups.append(group)
    body = {"start": iso_s(start), "end": iso_s(end)}
    if not by_project:
        body["intervals"] = [iso_s(start + i * interval) for i in range(buckets)]
    body["groups"] = body_groups
    return Response(body)


def _interval(text: str) -> int:
    seconds = parse_period(text)
    if not seconds or seconds > DAY or DAY % seconds:
        raise ApiError(400, "The interval has to be less than one day and has to divide one day evenly.")
    return seconds
