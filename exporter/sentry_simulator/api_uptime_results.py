"""GET organizations/{org}/events/?dataset=uptime_results: uptime check results through Discover (§0.14, §4e).

Columns are the public aliases of ``src/sentry/search/eap/uptime_results/attributes.py`` that the
simulator stores (plus the common ``project``/``project.id``); aggregates are ``count()`` and
``avg|min|max|sum(<integer column>)``. Rows group by the non-aggregate columns, as Discover does; a
query with no aggregate lists single check results. ``query`` takes ``key:value``, ``!key:value`` and
``key:[a,b]``. UNCERTAIN: the attribute list differs between the versions read (one has ``environment``
and ``incident_status``, another not); the simulator serves the union. The meta types (``integer``,
``number`` for avg, ``string``, ``date``) are inferred from the attributes' ``search_type``.
"""

from __future__ import annotations

import re

from .context import Request, Response, paged
from .discover import discover_query, sort_rows
from .errors import ApiError
from .monitoring import UptimeCheck, UptimeMonitor
from .pagination import generic_offset_page
from .search import split_values, tokenize
from .timeutil import iso_s
INTEGER_COLUMNS = ("project.id", "check_duration_us", "request_duration_us", "http_status_code", "incident_status",
                   "scheduled_check_time_us", "actual_check_time_us")
STRING_COLUMNS = ("project", "environment", "region", "subscription_id", "check_id", "guid", "check_status",
                  "original_url", "request_url", "method")
_AGGREGATE = re.compile(r"^(count|avg|min|max|sum)\((.*)\)$")


def _value(monitor: UptimeMonitor, check: UptimeCheck, name: str):
    return {
        "project": monitor.project.slug, "project.id": monitor.project.int_id, "environment": check.environment,
        "region": check.region, "subscription_id": monitor.subscription_id, "check_id": check.check_id,
        "guid": check.check_id, "check_status": check.status, "original_url": monitor.url,
        "request_url": monitor.url, "method": monitor.method, "timestamp": iso_s(check.timestamp),
        "check_duration_us": check.duration_us, "request_duration_us": check.duration_us,
        "http_status_code": check.http_status, "incident_status": check.incident_status,
        "scheduled_check_time_us": int(check.scheduled * 1_000_000),
        "actual_check_time_us": int(check.timestamp * 1_000_000),
    }[name]


class _Column:
    def __init__(self, name: str):
        self.name = name
        match = _AGGREGATE.match(name)
        self.aggregate = match.group(1) if match else None
        self.argument = match.group(2).strip() if match else name
        known = INTEGER_COLUMNS if self.aggregate not in (None, "count") else INTEGER_COLUMNS + STRING_COLUMNS + ("timestamp",)
        if self.aggregate == "count":
            if self.argument:
                raise ApiError(400, f"{name} is not a valid function")
        elif self.argument not in known:
            raise ApiError(400, f"{name} is not a valid {'function' if self.aggregate else 'field'}")

    @property
    def type(self) -> str:
        if self.aggregate == "avg":
            return "number"
        if self.aggregate or self.argument in INTEGER_COLUMNS:
            return "integer"
        return "date" if self.argument == "timestamp" else "string"


def uptime_results(request: Request) -> Response:
    behaviour = request.behaviour
    if behaviour.uptime_results_status:
        status = behaviour.uptime_results_status
        if status == 404:
            return Response(None, 404)
        raise ApiError(status, "You do not have permission to perform this action." if status == 403
                       else "dataset must be one of: errors, discover")
    query = discover_query(request, _Column)
    conditions = _conditions(request.first("query", ""))
    matching = [(m, c) for m in request.org.uptime_monitors.values() if m.project.id in query.projects
                for c in m.checks if query.start <= c.timestamp <= query.end
                and (not query.environments or c.environment in query.environments)
                and all(cond(m, c) for cond in conditions)]
    rows = _rows(query.columns, matching)
    sort_rows(rows, query.sort)
    page = generic_offset_page(rows, query.cursor, query.per_page)
    meta = {"fields": {c.name: c.type for c in query.columns},
            "units": {c.name: "microsecond" if c.argument.endswith("_us") and c.aggregate != "count" else None
                      for c in query.columns},
            "isMetricsData": False, "isMetricsExtractedData": False, "dataset": "uptime_results"}
    return paged(request, page, {"data": page.items, "meta": meta})


def _conditions(text: str) -> list:
    conditions = []
    for token in tokenize(text):
        if token[0] != "filter":
            raise ApiError(400, f"Free text is not supported on uptime_results: {token[1]!r}")
        _, negate, key, value = token
        if key not in INTEGER_COLUMNS + STRING_COLUMNS:
            raise ApiError(400, f"Invalid query. Unknown field: {key}")
        wanted = set(split_values(value))
        conditions.append(lambda m, c, key=key, wanted=wanted, negate=negate:
                          (str(_value(m, c, key)) in wanted) != negate)
    return conditions


def _rows(columns: list, matching: list) -> list:
    group_names = [c.argument for c in columns if c.aggregate is None]
    if all(c.aggregate is None for c in columns):
        return [{c.name: _value(m, check, c.argument) for c in columns} for m, check in matching]
    groups: dict = {}
    for monitor, check in matching:
        key = tuple(_value(monitor, check, name) for name in group_names)
        groups.setdefault(key, []).append((monitor, check))
    rows = []
    for key, members in groups.items():
        values = iter(key)
        row = {}
        for column in columns:
            if column.aggregate is None:
                row[column.name] = next(values)
                continue
            if column.aggregate == "count":
                row[column.name] = len(members)
                continue
            numbers = [v for v in (_value(m, c, column.argument) for m, c in members) if v is not None]
            row[column.name] = _aggregate(column.aggregate, numbers)
        rows.append(row)
    return rows


def _aggregate(name: str, numbers: list):
    if not numbers:
        return None
    if name == "avg":
        return sum(numbers) / len(numbers)
    return {"min": min, "max": max, "sum": sum}[name](numbers)
