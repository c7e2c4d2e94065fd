"""The unresolved-issues poller: org-level listing, every page, ⌈I/100⌉ calls for I issues.

From the same pages, at no extra cost, it derives the top-N issues, the lifecycle transitions
between polls (new, regressed, escalating, left) and per-project event growth from each issue's
`lifetime.count`, which gives minute-resolution trends where stats_v2 only resolves to an hour.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable

from ..cardinality import cap_issues, cap_top
from ..config import Config
from ..directory import ProjectDirectory
from ..parsing import count, label
from ..sentry.client import SentryClient

log = logging.getLogger(__name__)

UNRESOLVED = "is:unresolved"
DAY = 86400.0
TRANSITIONS = ("new", "regressed", "escalating", "left")
# An event can reach the issue listing some time after its timestamp: an issue first seen just before the
# previous poll, but listed only now, is still new. (One that leaves and returns within this time counts twice.)
INGESTION_GRACE = 900.0
MAX_TRANSITION_LOGS = 100  # per poll: a mass event is counted in full but not logged line by line


@dataclass(frozen=True, slots=True)
class Issue:
    """The fields of one listed issue that metrics need (parsed defensively)."""
    id: str
    short_id: str
    project: str
    title: str
    culprit: str
    level: str
    substatus: str
    priority: str
    assignee: str
    permalink: str
    events: int          # in the query window
    users: int           # in the query window
    lifetime_events: int
    first_seen: float | None   # lifetime: the top-level firstSeen is clipped to the window
    last_seen: float | None


@dataclass(frozen=True)
class IssuesResult:
    counts: dict[tuple[str, ...], int]   # (project, level, substatus, priority, assignee[, environment]) -> issues
    by_environment: bool
    top: tuple[Issue, ...]               # by events, within SENTRY_MAX_ISSUE_SERIES
    truncated: dict[str, bool]           # query name -> the cap cut the listing
    query_counts: dict[tuple[str, str], int]   # (query name, project) -> issues
    new_24h: dict[str, int]              # project -> issues first seen in the last 24h
    transitions: dict[tuple[str, ...], int]   # (project, level[, environment], transition) -> since start
    events_total: dict[tuple[str, ...], int]  # (project, level[, environment]) -> events since start
    assignees: dict[str, str]            # short id -> assignee, for every listed issue (impact series use it)
    dropped: dict[str, int]              # guarded metric -> series the cardinality guard left out or folded


@dataclass(frozen=True, slots=True)
class _Known:
    """What the previous poll knew of an issue, to see transitions and count event growth."""
    project: str
    level: str
    substatus: str
    lifetime_events: int


@dataclass
class _Lifecycle:
    known: dict[tuple[str, str | None], _Known] = field(default_factory=dict)  # (issue id, environment)
    previous_poll: float | None = None
    transitions: Counter = field(default_factory=Counter)
    events_total: Counter = field(default_factory=Counter)


def parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        return None


def assignee_name(assigned: Any) -> str:
    """Teams as '#slug' (Sentry's own notation), users by name; 'unassigned' when nobody owns it."""
    if not isinstance(assigned, dict):
        return "unassigned"
    name = label(assigned.get("name")) or label(assigned.get("email"))
    if not name:
        return "unassigned"
    return label(f"#{name}") if assigned.get("type") == "team" else name


def parse_issue(raw: Any) -> tuple[Issue | None, bool]:
    """The issue (None when unusable) and whether every field present had the type the contract gives."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), (str, int)) or isinstance(raw["id"], bool) \
            or not isinstance(raw.get("project"), dict):
        return None, False
    project = label(raw["project"].get("slug"))
    if not project:
        return None, False
    lifetime = raw.get("lifetime") if isinstance(raw.get("lifetime"), dict) else {}
    # Sentry sends `count` as a string and `userCount` as an integer; count() accepts either for both.
    given = {"count": raw.get("count"), "users": raw.get("userCount"),
             "lifetime": lifetime.get("count", raw.get("count"))}
    numbers = {name: count(value) for name, value in given.items()}
    times = [raw.get(k) for k in ("firstSeen", "lastSeen")] + [lifetime.get(k) for k in ("firstSeen", "lastSeen")]
    texts = [raw.get(k) for k in ("shortId", "title", "culprit", "level", "substatus", "priority", "permalink")]
    clean = (all(numbers[n] is not None or given[n] is None for n in given)
             and all(t is None or parse_time(t) is not None for t in times)
             and all(t is None or isinstance(t, str) for t in texts))
    issue_id = label(str(raw["id"]))
    return Issue(
        id=issue_id,
        short_id=label(raw.get("shortId"), issue_id),
        project=project,
        title=label(raw.get("title")),
        culprit=label(raw.get("culprit")),
        level=label(raw.get("level"), "unknown"),
        substatus=label(raw.get("substatus"), "none"),
        priority=label(raw.get("priority"), "none"),
        assignee=assignee_name(raw.get("assignedTo")),
        permalink=label(raw.get("permalink")),
        events=numbers["count"] or 0,
        users=numbers["users"] or 0,
        lifetime_events=numbers["lifetime"] or 0,
        first_seen=parse_time(lifetime.get("firstSeen")) or parse_time(raw.get("firstSeen")),
        last_seen=parse_time(raw.get("lastSeen")) or parse_time(lifetime.get("lastSeen")),
    ), clean


class IssuesPoller:
    name = "issues"

    def __init__(self, client: SentryClient, config: Config, directory: ProjectDirectory,
                 clock: Callable[[], float] = time.time):
        self._client, self._config, self._directory, self._clock = client, config, directory, clock
        self._lifecycle = _Lifecycle()

    def poll(self) -> IssuesResult:
        started = self._clock()
        project_ids = [p.id for p in self._directory.get()] if self._config.projects else ["-1"]
        counts: Counter[tuple[str, ...]] = Counter()
        per_issue: dict[str, Issue] = {}
        truncated: dict[str, bool] = {}
        listings: dict[str | None, list[Issue]] = {}
        for environment in self._config.environments or (None,):
            issues, truncated["default" if environment is None else f"environment:{environment}"] = \
                self._list(UNRESOLVED, project_ids, environment)
            listings[environment] = issues
            for issue in issues:
                key = (issue.project, issue.level, issue.substatus, issue.priority, issue.assignee)
                counts[key + ((environment,) if environment else ())] += 1
                # One issue can be listed once per environment: its totals are the sum.
                per_issue[issue.id] = _merge(per_issue.get(issue.id), issue)

        query_counts: Counter[tuple[str, str]] = Counter()
        for named in self._config.queries:
            issues, truncated[named.name] = self._list(named.query, project_ids, None)
            query_counts.update((named.name, issue.project) for issue in issues)

        top = self._top(per_issue.values())
        new_24h = Counter(i.project for i in per_issue.values() if i.first_seen and i.first_seen >= started - DAY)
        self._observe_lifecycle(listings, started, complete=not any(truncated.values()))
        folded, dropped = cap_issues(dict(counts), self._config.max_issue_series)
        top, dropped_top = cap_top(top, self._config.max_issue_series)
        return IssuesResult(
            counts=folded, by_environment=bool(self._config.environments), top=top,
            truncated=truncated, query_counts=dict(query_counts), new_24h=dict(new_24h),
            transitions=dict(self._lifecycle.transitions), events_total=dict(self._lifecycle.events_total),
            assignees={i.short_id: i.assignee for i in per_issue.values()}, dropped={**dropped, **dropped_top},
        )

    def _top(self, issues) -> list[Issue]:
        """The N issues with the most events; a short id seen twice (against the contract) is kept once."""
        top, seen = [], set()
        for issue in sorted(issues, key=lambda i: (i.events, i.id), reverse=True):
            if len(top) == self._config.top_issues:
                break
            if (issue.short_id, issue.project) in seen:
                self._client.stats.count_malformed("issues")
                continue
            seen.add((issue.short_id, issue.project))
            top.append(issue)
        return top

    def _list(self, query: str, project_ids: list[str], environment: str | None) -> tuple[list[Issue], bool]:
        """Every issue of one query, each once, and whether the cap cut the listing short."""
        params = [("query", query), ("statsPeriod", self._config.issues_period), ("limit", "100"),
                  # sort=new pages by first-seen, which never changes, so an issue getting events
                  # while we page cannot jump pages; groupStatsPeriod= drops the unused sparkline.
                  ("sort", "new"), ("groupStatsPeriod", "")]
        params += [("project", pid) for pid in project_ids]
        if environment:
            params.append(("environment", environment))
        cap = self._config.max_issues
        issues: dict[str, Issue] = {}
        # Enough pages for the cap twice over (pages may overlap or hold junk), never unbounded.
        max_pages = cap // 100 * 2 + 10
        for page, has_next in self._client.pages("issues", f"organizations/{self._config.org}/issues/", params,
                                                 max_pages):
            for raw in page:
                issue, clean = parse_issue(raw)
                if not clean:  # counted, and used when usable: a bad userCount must not drop the issue
                    self._client.stats.count_malformed("issues")
                if issue is None:
                    continue
                if len(issues) >= cap and issue.id not in issues:
                    break
                issues.setdefault(issue.id, issue)  # keyset pages can overlap: count each issue once
            else:
                if has_next and len(issues) < cap:
                    continue
                return list(issues.values()), has_next
            log.warning("issue listing truncated at the cap", extra={"query": query, "cap": cap})
            return list(issues.values()), True
        return list(issues.values()), False

    def _observe_lifecycle(self, listings: dict[str | None, list[Issue]], now: float, complete: bool) -> None:
        """Count transitions and event growth since the last poll, per environment when split by them."""
        life = self._lifecycle
        baseline = life.previous_poll is None  # the first poll after a start only sets the baseline
        logged = 0
        current: set[tuple[str, str | None]] = set()
        for environment, issues in listings.items():
            for issue in issues:
                state = (issue.id, environment)
                current.add(state)
                before = life.known.get(state)
                key = (issue.project, issue.level) + ((environment,) if environment else ())
                if not baseline:
                    seen = []
                    if before is not None:
                        life.events_total[key] += max(0, issue.lifetime_events - before.lifetime_events)
                    elif issue.first_seen is not None and issue.first_seen >= life.previous_poll - INGESTION_GRACE:
                        seen.append("new")
                        life.events_total[key] += issue.lifetime_events  # all of a new issue's events are new
                    seen += [t for t in ("regressed", "escalating")
                             if issue.substatus == t and (before is None or before.substatus != t)]
                    for transition in seen:
                        life.transitions[key + (transition,)] += 1
                        if logged < MAX_TRANSITION_LOGS:  # one line each, for Grafana annotations from Loki
                            logged += 1
                            log.info("issue %s: %s", transition, issue.short_id, extra={
                                "event": "issue_transition", "transition": transition, "issue": issue.short_id,
                                "project": issue.project, "level": issue.level, "environment": environment,
                                "assignee": issue.assignee, "title": issue.title, "permalink": issue.permalink})
                life.known[state] = _Known(issue.project, issue.level, issue.substatus, issue.lifetime_events)
                # Counters exist from the first poll at 0, so rate() and increase() see their first change.
                life.events_total[key] += 0
                for transition in TRANSITIONS:
                    life.transitions[key + (transition,)] += 0
        if complete:
            # Left the unresolved set: resolved, archived, merged or aged out of the window.
            # The listing cannot tell which, so the transition is named for what is known.
            for state in [s for s in life.known if s not in current]:
                gone = life.known.pop(state)
                if not baseline:
                    environment = state[1]
                    life.transitions[(gone.project, gone.level) + ((environment,) if environment else ())
                                     + ("left",)] += 1
        life.previous_poll = now


def _merge(before: Issue | None, issue: Issue) -> Issue:
    if before is None:
        return issue
    return replace(before, events=before.events + issue.events, users=before.users + issue.users,
                   lifetime_events=before.lifetime_events + issue.lifetime_events)
