"""GET organizations/{org}/events/ — Discover on the errors dataset, aggregated over event batches.

Columns group the rows; aggregates (count(), count_unique(user), count_unique(tags[x]) / count_unique(x),
last_seen(), first_seen()) are computed per group. A query with no aggregate is grouped too (real
Discover would list single events; the simulator stores no single events).

An aggregate filter in ``query`` (``count_unique(tags[x]):>2``, ``!count():<=10``) keeps the groups whose
aggregate passes, a HAVING after grouping, whether or not the aggregate is selected: getsentry/sentry
``src/sentry/api/event_search.py`` (``aggregate_numeric_filter = negation? aggregate_key sep operator?
numeric_value``; ``raw_aggregate_param`` admits ``tags[x]``; ``numeric_value`` takes a k/m/b suffix) and
``src/sentry/search/events/builder/base.py`` (``resolve_having`` -> ``convert_aggregate_filter_to_condition``,
which resolves the function without adding it to the selected columns).
"""

from __future__ import annotations

import re

from .api_uptime_results import uptime_results
from .context import Request, Response, paged
from .discover import discover_query, sort_rows
from .errors import ApiError
from .model import tag_get
from .pagination import generic_offset_page
from .search import split_values, tag_name, tokenize
from .timeutil import iso_s

_AGGREGATE = re.compile(r"^(count|count_unique|last_seen|first_seen)\((.*)\)$")
# event_search.py's aggregate_numeric_filter; the value's lookahead is its end_value.
_AGGREGATE_FILTER = re.compile(r"(?:^|(?<=\s))(?P<neg>!?)(?P<key>[a-zA-Z0-9_.-]+\([^()\t\n]*\)):"
                               r"(?P<op>>=|<=|>|<|=|!=)?(?P<value>-?[0-9]+(?:\.[0-9]*)?)(?P<unit>[kmb])?(?=[\t\n )]|$)")
_NEGATED = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "=": "!=", "!=": "="}  # constants.OPERATOR_NEGATION_MAP
_COMPARE = {">": float.__gt__, ">=": float.__ge__, "<": float.__lt__, "<=": float.__le__, "=": float.__eq__,
            "!=": float.__ne__}
_UNITS = {"k": 1e3, "m": 1e6, "b": 1e9}  # search/utils.py parse_numeric_value
_INTEGER_COLUMNS = {"issue.id", "project.id"}


class _Column:
    def __init__(self, name: str):
        self.name = name
        match = _AGGREGATE.match(name)
        self.aggregate = match.group(1) if match else None
        self.argument = tag_name(match.group(2).strip()) if match else tag_name(name)
        if self.aggregate in ("count", "last_seen", "first_seen") and match.group(2).strip():
            raise ApiError(400, f"{name} is not a valid function")
        if self.aggregate == "count_unique" and not self.argument:
            raise ApiError(400, f"{name} is not a valid function")

    @property
    def type(self) -> str:
        if self.aggregate in ("count", "count_unique") or self.name in _INTEGER_COLUMNS:
            return "integer"
        if self.aggregate in ("last_seen", "first_seen"):
            return "date"
        return "string"


# What an older self-hosted Sentry accepts as ``dataset`` (§0.11). UNCERTAIN: the exact list and the
# wording of its 400 are not in the contract; the status is.
OLD_DATASETS = ("discover",)


def events(request: Request) -> Response:
    org = request.org
    behaviour = request.behaviour
    if not behaviour.discover:
        # api/endpoints/organization_events.py: without discover-basic, ``Response(status=404)``, no body.
        return Response(None, 404)
    dataset = request.first("dataset", "errors" if behaviour.errors_dataset else "discover")
    if not behaviour.errors_dataset and dataset not in OLD_DATASETS:
        raise ApiError(400, f"dataset must be one of: {', '.join(OLD_DATASETS)}")
    if dataset == "uptime_results":
        return uptime_results(request)
    if dataset not in ("errors", "discover"):
        raise ApiError(400, f"The simulator only serves the errors and uptime_results datasets, not {dataset!r}")
    query = discover_query(request, _Column)
    text, having = _having(request.first("query", ""))
    issues, conditions = _parse_query(text, org)
    if issues is None:
        issues = org.issues.values()
    if dataset == "errors":  # the errors dataset holds error events only, not performance, cron or uptime issues' events
        issues = [issue for issue in issues if issue.category == "error"]
    groups = _aggregate(issues, query.columns + [column for column, _ in having], query.projects,
                        query.environments, query.start, query.end, conditions)
    rows = [_row(query.columns, key, acc) for key, acc in groups.items()
            if all(holds(float(_row([column], key, acc)[column.name])) for column, holds in having)]
    sort_rows(rows, query.sort)
    page = generic_offset_page(rows, query.cursor, query.per_page)
    meta = {"fields": {c.name: c.type for c in query.columns}, "units": {c.name: None for c in query.columns},
            "isMetricsData": False, "isMetricsExtractedData": False, "dataset": "errors"}
    return paged(request, page, {"data": page.items, "meta": meta})


def _having(text: str) -> tuple[str, list]:
    """The query without its aggregate filters, and those filters as (column, test of its value)."""
    having = []
    for match in _AGGREGATE_FILTER.finditer(text):
        column = _Column(match.group("key"))
        if column.aggregate not in ("count", "count_unique"):
            raise ApiError(400, f"The simulator filters on count() and count_unique() only, not {column.name}")
        operator = match.group("op") or "="
        operator = _NEGATED[operator] if match.group("neg") else operator
        value = float(match.group("value")) * _UNITS.get(match.group("unit") or "", 1)
        having.append((column, lambda found, compare=_COMPARE[operator], value=value: compare(found, value)))
    return _AGGREGATE_FILTER.sub("", text), having


def _parse_query(text: str, org):
    """(issues to scan or None for all, [condition(issue, env, tags) -> bool])."""
    issues = None
    conditions = []
    for token in tokenize(text):
        if token[0] == "text":
            needle = token[1].lower()
            conditions.append(lambda issue, env, tags: needle in issue.title.lower())
            continue
        _, negate, key, value = token
        values = split_values(value)
        if key in ("issue", "issue.id") and not negate:
            found = ([org.issue_by_short_id(v) for v in values] if key == "issue"
                     else [org.issues.get(int(v)) if v.isdigit() else None for v in values])
            found = {i for i in found if i is not None}
            issues = found if issues is None else issues & found
            continue
        conditions.append(_condition(key, values, negate))
    return issues, conditions


def _condition(key: str, values: list, negate: bool):
    wanted = set(values)
    if key == "has":
        names = [tag_name(v) for v in values]
        check = lambda issue, env, tags: all(_value(issue, env, tags, n) is not None for n in names)  # noqa: E731
    else:
        name = tag_name(key)
        check = lambda issue, env, tags: _value(issue, env, tags, name) in wanted  # noqa: E731
    return (lambda issue, env, tags: not check(issue, env, tags)) if negate else check


def _value(issue, env: str, tags: tuple, name: str):
    """A column's value for events of ``issue`` in ``env`` with ``tags``."""
    if name == "issue":
        return issue.short_id
    if name == "issue.id":
        return issue.id
    if name == "project":
        return issue.project.slug
    if name == "project.id":
        return issue.project.int_id
    if name in ("title", "message"):
        return issue.title
    if name == "level":
        return issue.level
    if name == "culprit":
        return issue.culprit
    if name == "environment":
        return env
    if name == "event.type":
        return "error" if issue.type == "error" else "default"
    return tag_get(tags, name)


def _aggregate(issues, columns, projects, environments, start, end, conditions) -> dict:
    """Rows over events with start <= timestamp < end, as Discover's query builder conditions them
    (search/events/builder/base.py: ``Op.GTE, self.start`` and ``Op.LT, self.end``)."""
    group_columns = [c.argument for c in columns if c.aggregate is None]
    unique_tags = {c.argument for c in columns if c.aggregate == "count_unique" and c.argument != "user"}
    groups: dict = {}
    for issue in issues:
        if issue.project.id not in projects:
            continue
        for ts, env, n, users, tags in issue.batches:
            if ts < start or ts >= end or (environments and env not in environments):
                continue
            if conditions and not all(cond(issue, env, tags) for cond in conditions):
                continue
            key = tuple(_value(issue, env, tags, name) for name in group_columns)
            acc = groups.get(key)
            if acc is None:
                acc = groups[key] = {"count": 0, "users": 0, "first": ts, "last": ts,
                                     "tags": {name: set() for name in unique_tags}}
            acc["count"] += n
            acc["users"] = max(acc["users"], users)  # prefix model: distinct users = the largest batch's
            acc["first"], acc["last"] = min(acc["first"], ts), max(acc["last"], ts)
            for name in unique_tags:
                value = _value(issue, env, tags, name)
                if value is not None:
                    acc["tags"][name].add(value)
    return groups


def _row(columns, key: tuple, acc: dict) -> dict:
    row = {}
    values = iter(key)
    for column in columns:
        if column.aggregate is None:
            row[column.name] = next(values)
        elif column.aggregate == "count":
            row[column.name] = acc["count"]
        elif column.aggregate == "count_unique":
            row[column.name] = acc["users"] if column.argument == "user" else len(acc["tags"][column.argument])
        elif column.aggregate == "last_seen":
            row[column.name] = iso_s(acc["last"])
        else:
            row[column.name] = iso_s(acc["first"])
    return row
