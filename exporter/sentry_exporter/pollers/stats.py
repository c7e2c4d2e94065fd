"""Event outcomes from stats_v2 as true counters: events since the start of the billing period.

stats_v2 resolves to an hour, and grouped by project it returns totals without a series. So each
poll asks for the totals of the *open* hours (the last few, where late data may still land) and adds
them to a frozen sum of older hours, which is asked for once when hours leave the open window.
Every hour is counted exactly once; late data counts while its hour is open; and because the value is
anchored to the billing period, a restart recomputes the same number instead of double counting.
The counter resets (to a small number) at each period start, which Prometheus reads as a reset.

stats_v2's limits (CONTRACT §0.9): the totals query answers at most 10,000 rows and has no pagination
(`src/sentry/snuba/outcomes.py`, `Limit(10000)`), so an answer that fills the cap is asked again in
halves of the projects, and the split is kept for later polls. An older `get_constrained_date_range`
added one second to an explicit `end` before rounding it up to the hour, which counted one more hour:
every `end` here is an hour boundary minus one second, which both versions round to that boundary,
and the answer's own `end` is checked against it.

Dynamic Sampling's drops are `filtered` outcomes whose reason is `Sampled:<rule categories>` (getsentry/relay,
relay-server/src/services/outcome: `Outcome::FilteredSampling` has the FILTERED id and that reason). They are
by design, not a loss, so they are counted apart as outcome `filtered_sampling` (Relay's name for them); the
query groups by reason for that (stats_v2 returns Relay's reason as it is: src/sentry/snuba/outcomes.py,
ReasonDimension.map_row renames only smart_rate_limit), and every other reason adds up into its outcome.

GlitchTip's stats_v2 (`apps/stats/api.py`, `apps/stats/schema.py`) answers one series summed over the
projects asked for: `category` (error or transaction) is required and one a query, there is no
`groupBy` and no outcome but accepted, and its `end` is the asked end plus an hour, truncated (one
more hour than Sentry's). GlitchTipSeries asks one query per project and category, and sums the
points of the hours asked for, by the answer's `intervals`.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from ..directory import ProjectDirectory
from ..parsing import count, iso_time, label, parse_time
from ..sentry.client import SentryClient
from ..sentry.errors import MalformedResponse
from ..sentry.flavor import ServerKind

HOUR = 3600
OPEN_HOURS = 6  # late outcomes landing more than this many hours after the fact are not counted
MAX_ROWS = 10_000  # stats_v2's totals cap (src/sentry/snuba/outcomes.py: Limit(10000))
# Quantities of these categories are bytes or milliseconds, not events (CONTRACT §0.9 names log_byte).
NOT_EVENTS = {"attachment", "log_byte", "profile_duration", "profile_duration_ui"}


@dataclass(frozen=True)
class StatsResult:
    events: dict[tuple[str, str, str], int]   # (project, category, outcome) -> events this period
    period_start: float
    projects: int                              # projects polled
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)  # project slug -> its teams, Sentry's order


def billing_period_start(now: float, billing_day: int) -> float:
    t = datetime.fromtimestamp(now, timezone.utc)
    year, month = (t.year, t.month) if t.day >= billing_day else \
        ((t.year, t.month - 1) if t.month > 1 else (t.year - 1, 12))
    return datetime(year, month, billing_day, tzinfo=timezone.utc).timestamp()



class StatsPoller:
    name = "stats"

    def __init__(self, client: SentryClient, org: str, directory: ProjectDirectory, billing_day: int,
                 filter_projects: bool, kind: ServerKind, clock: Callable[[], float] = time.time):
        self._kind, self._glitchtip = kind, GlitchTipSeries(client, org, directory)
        self._client, self._org, self._directory = client, org, directory
        self._billing_day, self._filter_projects, self._clock = billing_day, filter_projects, clock
        self._period_start: float | None = None
        self._frozen: Counter[tuple[str, str, str]] = Counter()
        self._frozen_until = 0.0
        self._last: dict[tuple[str, str, str], int] = {}
        self._chunk: int | None = None  # projects per query, once a query over all of them hit MAX_ROWS

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
        return StatsResult(events=dict(named), period_start=period_start, projects=len(projects),
                           teams={p.slug: p.teams for p in projects})

    def _totals(self, start: float, end: float) -> Counter[tuple[str, str, str]]:
        """Outcome totals of the hours in [start, end), per (project id, category, outcome)."""
        if self._kind.get().name == "glitchtip":
            return self._glitchtip.totals(start, end)
        if not self._filter_projects and self._chunk is None:
            return self._split(start, end, None)
        ids = [p.id for p in self._directory.get()]
        size = self._chunk or len(ids) or 1
        totals: Counter[tuple[str, str, str]] = Counter()
        for i in range(0, len(ids), size):
            totals += self._split(start, end, ids[i:i + size])
        return totals

    def _split(self, start: float, end: float, projects: list[str] | None) -> Counter[tuple[str, str, str]]:
        """One query for `projects` (None: all); in halves while an answer fills the row cap."""
        groups = self._query(start, end, projects)
        if len(groups) < MAX_ROWS:
            return self._parse(groups)
        ids = projects if projects is not None else [p.id for p in self._directory.get()]
        if len(ids) < 2:
            raise MalformedResponse("stats_v2", f"one project has {MAX_ROWS} outcome rows or more: "
                                                "its totals cannot be exact")
        half = (len(ids) + 1) // 2
        self._chunk = min(self._chunk or half, half)
        return self._split(start, end, ids[:half]) + self._split(start, end, ids[half:])

    def _query(self, start: float, end: float, projects: list[str] | None) -> list[Any]:
        params = [("field", "sum(quantity)"), ("groupBy", "project"), ("groupBy", "category"),
                  ("groupBy", "outcome"), ("groupBy", "reason"), ("interval", "1h"), ("start", iso_time(start)),
                  ("end", iso_time(end - 1))]
        # Without `project`, Sentry counts only the projects of the token user's teams; -1 is every project
        # the token can see (CONTRACT §0.15, src/sentry/api/bases/organization.py _get_projects_by_id).
        params += self._kind.get().all_projects(projects or ())
        body = self._client.get_json("stats_v2", f"organizations/{self._org}/stats_v2/", params)
        groups = body.get("groups") if isinstance(body, dict) else None
        if not isinstance(groups, list):
            self._client.stats.count_malformed("stats_v2")
            raise MalformedResponse("stats_v2", "response has no list of groups")
        answered = parse_time(body.get("end"))
        if answered is not None and answered != end:
            self._client.stats.count_malformed("stats_v2")
            raise MalformedResponse("stats_v2", f"asked for hours up to {iso_time(end)}, answered up to "
                                                f"{iso_time(answered)}: the totals would not be exact")
        return groups

    def _parse(self, groups: list[Any]) -> Counter[tuple[str, str, str]]:
        totals: Counter[tuple[str, str, str]] = Counter()
        usable = 0
        for group in groups:
            key, value = _group(group)
            if key is None:
                self._client.stats.count_malformed("stats_v2")
                continue
            usable += 1
            if key[1] not in NOT_EVENTS:
                totals[key] += value
        if groups and not usable:  # a poll that learned nothing is not a success
            raise MalformedResponse("stats_v2", f"none of the {len(groups)} groups parsed")
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
    if outcome == "filtered" and str(by.get("reason", "")).startswith("Sampled:"):
        outcome = "filtered_sampling"
    return (project, category, outcome), value


class GlitchTipSeries:
    """GlitchTip's stats_v2: one query per project and category, each a series of hourly sums."""
    CATEGORIES = ("error", "transaction")   # StatsV2Schema.category

    def __init__(self, client: SentryClient, org: str, directory: ProjectDirectory):
        self._client, self._org, self._directory = client, org, directory

    def totals(self, start: float, end: float) -> Counter[tuple[str, str, str]]:
        totals: Counter[tuple[str, str, str]] = Counter()
        for project in self._directory.get():
            for category in self.CATEGORIES:
                totals[(project.id, category, "accepted")] += self._sum(project.id, category, start, end)
        return totals

    def _sum(self, project: str, category: str, start: float, end: float) -> int:
        params = [("category", category), ("field", "sum(quantity)"), ("interval", "1h"), ("project", project),
                  ("start", iso_time(start)), ("end", iso_time(end - 1))]
        body = self._client.get_json("stats_v2", f"organizations/{self._org}/stats_v2/", params)
        intervals = body.get("intervals") if isinstance(body, dict) else None
        groups = body.get("groups") if isinstance(body, dict) else None
        series = groups[0].get("series") if isinstance(groups, list) and len(groups) == 1 \
            and isinstance(groups[0], dict) and isinstance(groups[0].get("series"), dict) else None
        points = series.get("sum(quantity)") if series is not None else None
        if not isinstance(intervals, list) or not isinstance(points, list) or len(points) != len(intervals):
            self._client.stats.count_malformed("stats_v2")
            raise MalformedResponse("stats_v2", "expected intervals and one series of as many points")
        total = 0
        for at, point in zip(intervals, points):
            hour = parse_time(at) if isinstance(at, str) else None
            value = 0 if point is None else count(point)  # an hour without events is null (a LEFT JOIN)
            if hour is None or value is None:
                self._client.stats.count_malformed("stats_v2")
                raise MalformedResponse("stats_v2", f"unreadable point {at!r}: {point!r}")
            if start <= hour < end:  # its end takes in one hour more than asked
                total += value
        return total
