"""The latest result of every poller, replaced atomically; scrapes only ever read it.

A new poller is one field of `Results` (named as the poller, typed by its result), its result
type, and one collector module that maps that result to metric families.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Mapping

from .pollers.impact import ImpactResult
from .pollers.issues import IssuesResult
from .pollers.monitors import MonitorsResult
from .pollers.releases import ReleasesResult
from .pollers.stats import StatsResult
from .pollers.uptime import UptimeResult
from .pollers.uptime_results import UptimeResultsResult


@dataclass(frozen=True)
class PollerState:
    ok: bool = False                  # the latest run succeeded
    ran: bool = False                 # it has run at least once
    last_success: float | None = None
    duration: float | None = None     # of the latest run, seconds
    runs: int = 0
    failures: int = 0
    trace_id: str | None = None       # of the latest run: an exemplar links the metric to its trace
    unsupported: str | None = None    # why this token or server cannot answer it (errors.Unsupported)

    @property
    def counts(self) -> bool:
        """Whether the poller counts for sentry_up and /readyz: an unsupported one does not."""
        return self.unsupported is None


@dataclass(frozen=True)
class Results:
    """The last good result of each poller, kept through its failures; None until it first succeeds."""
    issues: IssuesResult | None = None
    stats: StatsResult | None = None
    releases: ReleasesResult | None = None
    impact: ImpactResult | None = None
    monitors: MonitorsResult | None = None
    uptime: UptimeResult | None = None
    uptime_results: UptimeResultsResult | None = None


POLLERS = tuple(f.name for f in fields(Results))


@dataclass(frozen=True)
class Snapshot:
    pollers: Mapping[str, PollerState]   # of the scheduled pollers
    results: Results = Results()


class SnapshotStore:
    def __init__(self, pollers: tuple[str, ...]):
        unknown = set(pollers) - set(POLLERS)
        if unknown:
            raise ValueError(f"no Results field for the pollers {sorted(unknown)}")
        self._lock = threading.Lock()  # serialises writers; readers take the reference as it is
        self._snapshot = Snapshot(MappingProxyType({name: PollerState() for name in pollers}))

    def current(self) -> Snapshot:
        return self._snapshot

    def record(self, poller: str, ok: bool, duration: float, at: float, result: object = None,
               trace_id: str | None = None, unsupported: str | None = None) -> None:
        """The outcome of one run; `result` (of the poller's Results field type) only counts when ok.
        `unsupported` is the reason a failed run cannot succeed on this token or server."""
        with self._lock:
            before = self._snapshot
            state = before.pollers[poller]
            state = replace(state, ok=ok, ran=True, duration=duration, runs=state.runs + 1,
                            failures=state.failures + (not ok), trace_id=trace_id,
                            unsupported=None if ok else unsupported)
            results = before.results
            if ok:
                state = replace(state, last_success=at)
                results = replace(results, **{poller: result})
            self._snapshot = Snapshot(MappingProxyType({**before.pollers, poller: state}), results)

    def ready(self) -> bool:
        """At least one successful poll of every poller that this Sentry supports: the data is whole."""
        return all(s.last_success is not None for s in self._snapshot.pollers.values() if s.counts)
