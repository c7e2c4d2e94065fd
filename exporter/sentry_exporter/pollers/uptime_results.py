"""Uptime check results from Discover (`events/?dataset=uptime_results`, CONTRACT §0.14, §4e).

Two calls a run, whatever the number of monitors:
- counts by outcome: `project, environment, original_url, check_status, count()` over the results
  since the previous run (start inclusive, end one millisecond before the run's end, so that windows
  never overlap), at most one page of 100 groups (more than 33 monitors with all three outcomes in
  one window is cut, and said in the log);
- the latest checks: the newest 100 single results of the last hour (uptime checks run every 1 to 60
  minutes), the first per monitor being its latest check (status, duration, time, whether it is part
  of an incident); a monitor crowded off that page keeps the latest check seen before.
Results reach Discover a little after the check; each window ends LAG seconds before the run.
The first run only sets the start (a baseline): a restart never counts old checks again.
Field names are the public aliases of src/sentry/search/eap/uptime_results/attributes.py.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..parsing import count, iso_time, label, parse_time
from ..sentry.client import SentryClient
from ..sentry.errors import MalformedResponse, SentryError
from . import unsupported_endpoint

log = logging.getLogger(__name__)

OUTCOMES = ("success", "failure", "missed_window")   # CheckStatus of the uptime results schema
LAG = 60.0
LATEST_WINDOW = 3600.0
FORGET_AFTER = 86400.0
KEY = ("project", "environment", "original_url")


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

    def __init__(self, client: SentryClient, org: str, project_ids, clock):
        self._client, self._org, self._project_ids, self._clock = client, org, project_ids, clock
        self._start: float | None = None
        self._counts: Counter = Counter()
        self._latest: dict[tuple[str, str, str], LatestCheck] = {}

    def poll(self) -> UptimeResultsResult:
        end = self._clock() - LAG
        latest = self._latest_checks(end)
        counts = Counter()
        if self._start is not None and end > self._start:
            counts = self._outcomes(self._start, end)
        # Only now, when both calls succeeded: a failed run leaves the window to the next one.
        if self._start is None or end > self._start:
            self._start = end
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

    def _query(self, fields: list[str], extra: list[tuple[str, str]]) -> list[dict]:
        params = [("dataset", "uptime_results"), ("per_page", "100")] + [("field", f) for f in fields] + extra \
            + [("project", i) for i in self._project_ids()]
        try:
            body = self._client.get_json("uptime_results", f"organizations/{self._org}/events/", params)
        except SentryError as e:  # no Discover on the plan, no uptime_results dataset, or a narrower token
            raise unsupported_endpoint(e)
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            self._client.stats.count_malformed("uptime_results")
            raise MalformedResponse("uptime_results", "response has no list of data")
        return rows

    def _outcomes(self, start: float, end: float) -> Counter:
        rows = self._query([*KEY, "check_status", "count()"],
                           [("start", iso_time(start, fraction=True)), ("end", iso_time(end - 0.001, fraction=True)),
                            ("sort", "-count()")])
        if len(rows) >= 100:
            log.warning("uptime_results: 100 groups in one window; counts of the rest are lost",
                        extra={"poller": self.name})
        counts: Counter = Counter()
        for row in rows:
            key, outcome, n = _key(row), row.get("check_status") if isinstance(row, dict) else None, \
                count(row.get("count()")) if isinstance(row, dict) else None
            if key is None or outcome not in OUTCOMES or n is None:
                self._client.stats.count_malformed("uptime_results")
                continue
            counts[(*key, outcome)] += n
        return counts

    def _latest_checks(self, end: float) -> dict[tuple[str, str, str], LatestCheck]:
        start = end - LATEST_WINDOW
        rows = self._query([*KEY, "check_status", "check_duration_us", "incident_status", "timestamp"],
                           [("start", iso_time(start, fraction=True)), ("end", iso_time(end, fraction=True)),
                            ("sort", "-timestamp")])
        latest: dict[tuple[str, str, str], LatestCheck] = {}
        for row in rows:  # newest first
            key = _key(row)
            status = row.get("check_status") if isinstance(row, dict) else None
            if key is None or status not in OUTCOMES:
                self._client.stats.count_malformed("uptime_results")
                continue
            if key not in latest:
                duration = count(row.get("check_duration_us"))
                latest[key] = LatestCheck(status, None if duration is None else duration / 1e6,
                                          parse_time(row.get("timestamp")), count(row.get("incident_status")) == 1)
        return latest


def _key(row: Any) -> tuple[str, str, str] | None:
    if not isinstance(row, dict):
        return None
    project, url = label(row.get("project")), label(row.get("original_url"))
    if not project or not url:
        return None
    return project, label(row.get("environment"), "none"), url

