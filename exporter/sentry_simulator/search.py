"""Issue search syntax: the subset an exporter uses, parsed into predicates on the model.

Postgres-only conditions (status, assignment, priority, firstSeen, project…) filter issues; Snuba
conditions (tags, level, free text, timesSeen) filter events, and make ``filtered`` non-null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import ApiError
from .model import tag_get
from .timeutil import parse_iso, parse_period

# Used when the request has no ``query`` at all (organization_group_index.py DEFAULT_QUERY).
DEFAULT_ISSUE_QUERY = "is:unresolved issue.priority:[high, medium]"

_TOKEN = re.compile(
    r'\s*(?:(?P<neg>!?)(?P<key>[A-Za-z_][\w.\-]*(?:\[[^\]]*\])?):(?P<value>\[[^\]]*\]|"(?:[^"\\]|\\.)*"|\S*)'
    r'|"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<word>\S+))')
_COMPARISON = re.compile(r"^(>=|<=|>|<|=)?(.*)$")

IS_VALUES = ("unresolved", "resolved", "ignored", "archived", "assigned", "unassigned", "linked", "unlinked",
             "for_review")


@dataclass
class IssueQuery:
    issue_predicates: list = field(default_factory=list)   # f(issue) -> bool
    event_conditions: list = field(default_factory=list)   # f(tags, env) -> bool, on each batch
    window_count_predicates: list = field(default_factory=list)  # f(count in window) -> bool
    snuba: bool = False     # any non-postgres condition: the response's `filtered` is then non-null
    thresholds: list = field(default_factory=list)  # absolute times the query depends on (cache validity)

    def issue_ok(self, issue) -> bool:
        return all(pred(issue) for pred in self.issue_predicates)

    def tag_match(self):
        if not self.event_conditions:
            return None
        conditions = self.event_conditions
        return lambda tags, env: all(cond(tags, env) for cond in conditions)


def tokenize(text: str):
    """Yields ("filter", negate, key, value) and ("text", words) tokens of a search string."""
    position = 0
    text = text or ""
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            return
        position = match.end()
        if match.group("key"):
            yield "filter", match.group("neg") == "!", match.group("key"), _unquote(match.group("value"))
        elif match.group("quoted") is not None or match.group("word"):
            yield "text", match.group("quoted") if match.group("quoted") is not None else match.group("word")


def parse_issue_query(text: str, now: float, projects_by_slug: dict) -> IssueQuery:
    query = IssueQuery()
    for token in tokenize(text):
        if token[0] == "filter":
            _add_filter(query, token[1], token[2], token[3], now, projects_by_slug)
        else:
            _add_text(query, token[1])
    return query


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def split_values(value: str) -> list[str]:
    if value.startswith("["):
        if not value.endswith("]"):
            raise ApiError(400, f"Error parsing search query: unbalanced list {value!r}")
        return [v.strip().strip('"') for v in value[1:-1].split(",") if v.strip()]
    return [value]


def _add_text(query: IssueQuery, words: str) -> None:
    needle = words.lower()
    query.snuba = True  # free text searches the event message
    query.issue_predicates.append(lambda issue: needle in issue.title.lower() or needle in issue.culprit.lower())


def _negatable(pred, negate):
    return (lambda item: not pred(item)) if negate else pred


def _add_filter(query: IssueQuery, negate: bool, key: str, value: str, now: float, projects_by_slug: dict) -> None:
    if value == "":
        raise ApiError(400, f"Error parsing search query: empty value for {key!r}")
    values = split_values(value)
    add = query.issue_predicates.append
    if key == "is":
        for v in values:
            if v not in IS_VALUES:
                raise ApiError(400, f"Error parsing search query: Invalid value for \"is\" search, valid values are {sorted(IS_VALUES)}")
            add(_negatable(_is_predicate(v), negate))
    elif key in ("issue.priority", "priority"):
        wanted = set(values)
        add(_negatable(lambda issue: issue.priority in wanted, negate))
    elif key == "level":
        wanted = set(values)
        query.snuba = True
        add(_negatable(lambda issue: issue.level in wanted, negate))
    elif key == "project":
        wanted = {projects_by_slug[s].id for s in values if s in projects_by_slug}
        add(_negatable(lambda issue: issue.project.id in wanted, negate))
    elif key in ("substatus", "issue.category", "issue.type"):
        wanted = set(values)
        attr = {"substatus": lambda i: i.substatus, "issue.category": lambda i: i.category,
                "issue.type": lambda i: i.type}[key]
        add(_negatable(lambda issue: attr(issue) in wanted, negate))
    elif key == "assigned":
        add(_negatable(_assigned_predicate(values), negate))
    elif key in ("firstSeen", "age", "lastSeen"):
        compare = _time_comparison(key, value, now)
        query.thresholds.append(compare.threshold)
        if key == "lastSeen":
            add(_negatable(lambda issue: issue.last_seen is not None and compare(issue.last_seen), negate))
        else:
            add(_negatable(lambda issue: compare(_first_seen(issue)), negate))
    elif key in ("timesSeen", "times_seen"):
        query.snuba = True
        query.window_count_predicates.append(_negatable(_number_comparison(key, value), negate))
    elif key == "has":
        query.snuba = True
        names = [tag_name(v) for v in values]
        query.event_conditions.append(
            _negatable_event(lambda tags, env: all(event_tag_value(tags, env, name) is not None for name in names), negate))
    else:
        query.snuba = True
        name, wanted = tag_name(key), set(values)
        query.event_conditions.append(
            _negatable_event(lambda tags, env: event_tag_value(tags, env, name) in wanted, negate))


def _negatable_event(cond, negate):
    return (lambda tags, env: not cond(tags, env)) if negate else cond


def tag_name(key: str) -> str:
    return key[5:-1] if key.startswith("tags[") and key.endswith("]") else key


def event_tag_value(tags: tuple, env: str, name: str):
    if name == "environment":
        return env
    return tag_get(tags, name)


def _first_seen(issue) -> float:
    return issue.first_seen if issue.first_seen is not None else (issue.created or 0.0)


def _is_predicate(value: str):
    if value == "unresolved":
        return lambda issue: issue.status == "unresolved"
    if value == "resolved":
        return lambda issue: issue.status == "resolved"
    if value in ("ignored", "archived"):
        return lambda issue: issue.status == "ignored"
    if value == "assigned":
        return lambda issue: issue.assignee is not None
    if value == "unassigned":
        return lambda issue: issue.assignee is None
    if value == "for_review":
        return lambda issue: issue.status == "unresolved" and issue.substatus in ("new", "regressed", "escalating")
    if value == "linked":
        return lambda issue: False  # the simulator has no linked external issues
    return lambda issue: True  # unlinked


def _assigned_predicate(values):
    def matches(issue):
        assignee = issue.assignee
        for value in values:
            if value == "none" and assignee is None:
                return True
            if assignee is None:
                continue
            if value.startswith("#") and assignee.kind == "team" and assignee.name == value[1:]:
                return True
            if assignee.kind == "user" and value in (assignee.email, assignee.name, assignee.id):
                return True
        return False
    return matches


class _TimeComparison:
    def __init__(self, threshold: float, newer: bool, inclusive: bool):
        self.threshold, self.newer, self.inclusive = threshold, newer, inclusive

    def __call__(self, ts: float) -> bool:
        if self.newer:
            return ts >= self.threshold if self.inclusive else ts > self.threshold
        return ts <= self.threshold if self.inclusive else ts < self.threshold


def _time_comparison(key: str, value: str, now: float) -> _TimeComparison:
    """``-24h`` = within the last 24 h, ``+30d`` = older than 30 days, ``>=2024-01-01T00:00:00`` absolute."""
    if value[:1] in "+-":
        seconds = parse_period(value[1:])
        if seconds is None:
            raise ApiError(400, f"Error parsing search query: Invalid date: {value!r} for {key}")
        return _TimeComparison(now - seconds, newer=value[0] == "-", inclusive=True)
    op, rest = _COMPARISON.match(value).groups()
    ts = parse_iso(rest)
    if ts is None or op in (None, "="):
        raise ApiError(400, f"Error parsing search query: Invalid date: {value!r} for {key}")
    return _TimeComparison(ts, newer=op.startswith(">"), inclusive=op.endswith("="))


def _number_comparison(key: str, value: str):
    op, rest = _COMPARISON.match(value).groups()
    try:
        number = float(rest)
    except ValueError:
        raise ApiError(400, f"Error parsing search query: Invalid number: {value!r} for {key}") from None
    return {
        ">": lambda n: n > number, ">=": lambda n: n >= number, "<": lambda n: n < number,
        "<=": lambda n: n <= number,
    }.get(op or "=", lambda n: n == number)
