"""GET organizations/{org}/stats_v2/ (apps/stats/api.py stats_v2, apps/stats/schema.py StatsV2Schema).

GlitchTip's stats_v2 is a reverse-engineered look-alike with little of Sentry's:
- ``category`` (error|transaction), ``field`` (sum(quantity)|sum(times_seen)), ``start`` and ``end`` are
  required; ``interval`` is 1d|1h|1m (default 1h). Anything else (``groupBy``, ``outcome``,
  ``statsPeriod``) is not a parameter and is ignored; without start/end it is a 422.
- ``project`` is ``list[int >= -1]``, applied as ids: ``-1`` selects no project, and a selection with
  no project is a 404 ``{"detail": "Not Found"}``. No ``project`` is every project of the org.
- ``start`` is floored to the hour and ``end`` is ``end + 1 h`` floored to the hour, and the series
  runs from one to the other *inclusive* (``generate_series``): one or two buckets more than Sentry's.
- Each bucket sums the hourly statistics dated in ``[bucket, bucket + 1 h)`` whatever the interval,
  so a 1d bucket holds its first hour only. There is one number per bucket, accepted events only (the
  tables count what was ingested), and an hour without rows is ``null``, not 0. The ``WHERE
  project_id = ANY(…) OR event_stat IS NULL`` after the LEFT JOIN drops a bucket whose rows are all
  other projects': such buckets are missing from the answer altogether.
- The body is ``{"intervals": [...], "groups": [{"series": {field: [...]}}]}``: no start, end, by
  or totals. Intervals are ``astimezone().isoformat()`` on a UTC server: ``…T12:00:00+00:00``.
- More than 1000 intervals by ``(end - start).days`` is 422 ``{"detail": [{"end": "Too many intervals"}]}``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..context import Response
from ..errors import ApiError
from ..model import ERROR_CATEGORIES
from ..timeutil import DAY, HOUR
from .ninja import QueryParams, not_found

CATEGORIES = ("error", "transaction")
INTERVALS = {"1d": DAY, "1h": HOUR, "1m": 60}  # Postgres reads '1m' as one minute
FIELDS = ("sum(quantity)", "sum(times_seen)")
MAX_INTERVALS = 1000
# What each category's hourly table counts: every issue event (errors, messages, CSP reports), and
# transactions (apps/projects/models.py IssueEventProjectHourlyStatistic / TransactionEvent…).
TABLES = {"error": ERROR_CATEGORIES, "transaction": frozenset({"transaction"})}


def stats_v2(request) -> Response:
    query = QueryParams(request.params)
    category = query.literal("category", CATEGORIES, required=True)
    interval = query.literal("interval", tuple(INTERVALS), default="1h")
    projects = _project_ids(query)
    field = query.literal("field", FIELDS, required=True)
    start, end = query.datetime("start", required=True), query.datetime("end", required=True)
    query.check()
    days = int((end - start) // DAY)  # timedelta.days: floored
    if days * {"1h": 24, "1m": 1440}.get(interval, 1) > MAX_INTERVALS:
        raise ApiError(422, {"detail": [{"end": "Too many intervals"}]})
    request.require("org:read", "org:write", "org:admin")
    org = request.org
    selected = set(org.projects) if request.path_args["org"] == org.slug else set()
    if projects:
        selected = {pid for pid in selected if int(pid) in projects}
    if not selected:
        raise not_found()
    first = start - start % HOUR
    last = end + HOUR - (end + HOUR) % HOUR
    hourly = _hourly(org, TABLES[category])
    intervals, series = [], []
    ts = first
    while ts <= last:
        rows = [(pid, count) for (pid, hour), count in hourly.items() if ts <= hour < ts + HOUR]
        mine = [count for pid, count in rows if pid in selected]
        if not rows or mine:  # the LEFT JOIN's WHERE: no row at all (null), or some selected row
            intervals.append(datetime.fromtimestamp(ts, timezone.utc).isoformat())
            series.append(sum(mine) if mine else None)
        ts += INTERVALS[interval]
    return Response({"intervals": intervals, "groups": [{"series": {field: series}}]})


def _hourly(org, categories: frozenset) -> dict:
    """(project id, hour) -> accepted events: the hourly statistic rows (only hours with events)."""
    rows: dict = {}
    for (pid, category, outcome, _reason), minutes in org.outcomes.items():
        if outcome != "accepted" or category not in categories:
            continue
        for minute, (quantity, _times_seen) in minutes.items():
            if quantity:
                key = (pid, minute - minute % HOUR)
                rows[key] = rows.get(key, 0) + quantity
    return rows


def _project_ids(query: QueryParams) -> list[int] | None:
    numbers = query.int_list("project", ("filters", "project"))
    for index, number in enumerate(numbers or ()):
        if number < -1:
            query.errors.append({"type": "greater_than_equal", "loc": ["query", "filters", "project", index],
                                 "msg": "Input should be greater than or equal to -1", "ctx": {"ge": -1}})
    return numbers
