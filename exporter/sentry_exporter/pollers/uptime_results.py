"""Uptime check results from Discover (`events/?dataset=uptime_results`, CONTRACT §0.14, §4e).

One listing a run, every page of it (CONTRACT §0.12: `per_page` ≤ 100, follow `Link`): the single check
results since the previous run (start inclusive, end one millisecond before the run's end, so that
windows never overlap). From it come both the counts by outcome and each monitor's latest check
(status, duration, time, whether it is part of an incident); a monitor without a check in the window
keeps the latest check seen before. Cost: ⌈checks in the window / 100⌉ calls, e.g. 10 for 1,000
monitors checking every minute and a 60 s interval; the first run reads the last hour (uptime checks
run every 1 to 60 minutes) for the latest checks and counts none, so a restart never counts old checks
again. Results reach Discover a little after the check; each window ends LAG seconds before the run.
Field names are the public aliases of src/sentry/search/eap/uptime_results/attributes.py.

GlitchTip has no Discover, but the same results as each URL monitor's checks (glitchtip_monitors.py):
an up check a success, a down one a failure, in an incident while down (a check is the state there).
One call per URL monitor a run, reading back to the window's start.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..parsing import count, iso_time, label, parse_time
from ..sentry.client import SentryClient
from ..sentry.errors import SentryError
from ..sentry.flavor import ServerKind
from . import glitchtip_monitors as glitchtip
from . import unsupported_endpoint

OUTCOMES = ("success", "failure", "missed_window")   # CheckStatus of the uptime results schema
LAG = 60.0
LATEST_WINDOW = 3600.0
FORGET_AFTER = 86400.0
KEY = ("project", "environment", "original_url")
FIELDS = (*KEY, "check_id", "check_status", "check_duration_us", "incident_status", "timestamp")


@dataclass(frozen=True)
class LatestCheck:
    status: str
    duration_seconds: float | None
    timestamp: float | None
    in_incident: bool


@dataclass(frozen=True)
class UptimeResultsResult:
    checks: dict[tuple[str, str, str, str], int]        # (project, environment, url, outcome) -> since start
    latest: dict[tuple[str, str, str], LatestCheck]     # (project, environment, url) -> its newest check


class UptimeResultsPoller:
    name = "uptime_results"

    def __init__(self, client: SentryClient, org: str, project_ids, clock, directory, kind: ServerKind):
        self._client, self._org, self._project_ids, self._clock = client, org, project_ids, clock
        self._directory, self._kind = directory, kind
        self._start: float | None = None
        self._counts: Counter = Counter()
        self._latest: dict[tuple[str, str, str], LatestCheck] = {}

    def poll(self) -> UptimeResultsResult:
        end = self._clock() - LAG
        if self._start is None or end > self._start:
            baseline = self._start is None
            read = {"sentry": self._checks, "glitchtip": self._monitor_checks}[self._kind.get().name]
            counts, latest = read(end - LATEST_WINDOW if baseline else self._start, end)
            # Only now, when the listing was read whole: a failed run leaves the window to the next one.
            self._start = end
            if not baseline:
                self._counts.update(counts)
            self._latest.update(latest)
        self._forget(end - FORGET_AFTER)
        checks = dict(self._counts)
        for key in {*self._latest, *(k[:3] for k in self._counts)}:  # from 0, so the first increase shows
            for outcome in OUTCOMES:
                checks.setdefault((*key, outcome), 0)
        return UptimeResultsResult(checks, dict(self._latest))

    def _forget(self, before: float) -> None:
        """A monitor without a check for a day (deleted, or its URL changed) leaves with its series."""
        gone = {k for k, check in self._latest.items() if check.timestamp is None or check.timestamp < before}
        for key in gone:
            del self._latest[key]
        for key in [k for k in self._counts if k[:3] in gone]:
            del self._counts[key]

    def _monitor_checks(self, start: float, end: float) -> tuple[Counter, dict[tuple[str, str, str], LatestCheck]]:
        """GlitchTip: the checks in [start, end) of every URL monitor, as `_checks` gives Discover's."""
        slugs = {p.id: p.slug for p in self._directory.get()}
        counts: Counter = Counter()
        latest: dict[tuple[str, str, str], LatestCheck] = {}
        for monitor in glitchtip.url_monitors(glitchtip.monitors(self._client, self._org, slugs)):
            key = (monitor.project, glitchtip.ENVIRONMENT, monitor.url)
            for check in glitchtip.checks(self._client, self._org, monitor, start, end):  # newest first
                status = "success" if check.up else "failure"
                counts[(*key, status)] += 1
                latest.setdefault(key, LatestCheck(status, check.response_seconds, check.at, not check.up))
        return counts, latest

    def _checks(self, start: float, end: float) -> tuple[Counter, dict[tuple[str, str, str], LatestCheck]]:
        """The checks in [start, end): counted by outcome, and the newest of each monitor."""
        params = [("dataset", "uptime_results"), ("per_page", "100")] + [("field", f) for f in FIELDS] + [
            ("start", iso_time(start, fraction=True)), ("end", iso_time(end - 0.001, fraction=True)),
            ("sort", "-timestamp")] + [("project", i) for i in self._project_ids()]
        try:
            rows = self._client.listing("uptime_results", f"organizations/{self._org}/events/", params,
                                        key="data").items
        except SentryError as e:  # no Discover on the plan, no uptime_results dataset, or a narrower token
            raise unsupported_endpoint(e)
        counts: Counter = Counter()
        latest: dict[tuple[str, str, str], LatestCheck] = {}
        seen: set[str] = set()
        for row in rows:  # newest first
            key = _key(row)
            status = row.get("check_status") if isinstance(row, dict) else None
            if key is None or status not in OUTCOMES:
                self._client.stats.count_malformed("uptime_results")
                continue
            check_id = label(row.get("check_id"))
            if check_id in seen:
                continue  # offset pages can overlap while results land: each check once
            if check_id:
                seen.add(check_id)
            counts[(*key, status)] += 1
            if key not in latest:
                duration = count(row.get("check_duration_us"))
                latest[key] = LatestCheck(status, None if duration is None else duration / 1e6,
                                          parse_time(row.get("timestamp")), count(row.get("incident_status")) == 1)
        return counts, latest


def _key(row: Any) -> tuple[str, str, str] | None:
    if not isinstance(row, dict):
        return None
    project, url = label(row.get("project")), label(row.get("original_url"))
    if not project or not url:
        return None
    return project, label(row.get("environment"), "none"), url

