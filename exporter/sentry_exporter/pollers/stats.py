"""Event outcomes from stats_v2 as true counters: events since the start of the billing period.

stats_v2 resolves to an hour, and grouped by project it returns totals without a series. So each
poll asks for the totals of the *open* hours (the last few, where late data may still land) and adds
them to a frozen sum of older hours, which is asked for once when hours leave the open window.
Every hour is counted exactly once; late data counts while its hour is open; and because the value is
anchored to the billing period, a restart recomputes the same number instead of double counting.
The counter resets (to a small number) at each period start, which Prometheus reads as a reset.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from ..directory import ProjectDirectory
from ..parsing import count, label
from ..sentry.client import SentryClient
from ..sentry.errors import MalformedResponse

HOUR = 3600
OPEN_HOURS = 6  # late outcomes landing more than this many hours after the fact are not counted
# Quantities of these categories are bytes or milliseconds, not events.
NOT_EVENTS = {"attachment", "profile_duration", "profile_duration_ui"}


@dataclass(frozen=True)
class StatsResult:
    events: dict[tuple[str, str, str], int]   # (project, category, outcome) -> events this period
    period_start: float
    projects: int                              # projects polled


def billing_period_start(now: float, billing_day: int) -> float:
    t = datetime.fromtimestamp(now, timezone.utc)
    year, month = (t.year, t.month) if t.day >= billing_day else \
        ((t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12))
    return datetime(year, month, billing_day, tzinfo=timezone.utc).timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StatsPoller:
    name = "stats"

    def __init__(self, client: SentryClient, org: str, directory: ProjectDirectory, billing_day: int,
                 filter_projects: bool, clock: Callable[[], float] = time.time):
        self._client, self._org, self._directory = client, org, directory
        self._billing_day, self._filter_projects, self._clock = billing_day, filter_projects, clock
        self._period_start: float | None = None
        self._frozen: Counter[tuple[str, str, str]] = Counter()
        self._frozen_until = 0.0
        self._last: dict[tuple[str, str, str], int] = {}

    def poll(self) -> StatsResult:
        now = self._clock()
        period_start = billing_period_start(now, self._billing_day)
        if period_start != self._period_start:
            self._period_start, self._frozen, self._frozen_until, self._last = period_start, Counter(), period_start, {}
        open_from = max(period_start, (now // HOUR - OPEN_HOURS) * HOUR)
        if self._frozen_until < open_from:
            self._frozen.update(self._totals(self._frozen_until, open_from))
            self._frozen_until = open_from
        current = self._frozen + self._totals(self._frozen_until, (now // HOUR + 1) * HOUR)
        # A counter never goes down within a period, even if Sentry revises an hour downwards.
        events = {key: max(value, self._last.get(key, 0)) for key, value in current.items()}
        events.update({key: value for key, value in self._last.items() if key not in events})
        self._last = events
        projects = self._directory.get()
        slugs = {p.id: p.slug for p in projects}
        named = Counter()
        for (project_id, category, outcome), value in events.items():
            named[(slugs.get(project_id, project_id), category, outcome)] += value
        return StatsResult(events=dict(named), period_start=period_start, projects=len(projects))

    def _totals(self, start: float, end: float) -> Counter[tuple[str, str, str]]:
        params = [("field", "sum(quantity)"), ("groupBy", "project"), ("groupBy", "category"),
                  ("groupBy", "outcome"), ("interval", "1h"), ("start", _iso(start)), ("end", _iso(end))]
        if self._filter_projects:
            params += [("project", p.id) for p in self._directory.get()]
        body = self._client.get_json("stats_v2", f"organizations/{self._org}/stats_v2/", params)
        groups = body.get("groups") if isinstance(body, dict) else None
        if not isinstance(groups, list):
            self._client.stats.count_malformed("stats_v2")
            raise MalformedResponse("stats_v2", "response has no list of groups")
        totals: Counter[tuple[str, str, str]] = Counter()
        for group in groups:
            key, value = _group(group)
            if key is None:
                self._client.stats.count_malformed("stats_v2")
            elif key[1] not in NOT_EVENTS:
                totals[key] += value
        return totals


def _group(group: Any) -> tuple[tuple[str, str, str] | None, int]:
    if not isinstance(group, dict) or not isinstance(group.get("by"), dict) \
            or not isinstance(group.get("totals"), dict):
        return None, 0
    by = group["by"]
    project = by.get("project")
    project = label(str(project)) if isinstance(project, (str, int)) and not isinstance(project, bool) else ""
    category, outcome = label(by.get("category")), label(by.get("outcome"))
    value = count(group["totals"].get("sum(quantity)"))  # NaN, infinities and absurd sums are not counts
    if not project or not category or not outcome or value is None:
        return None, 0
    return (project, category, outcome), value
