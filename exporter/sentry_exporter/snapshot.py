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
    unsupported: str | None = None    # the reason, while this Sentry cannot serve the poller (pollers.Unsupported)
    unsupported_runs: int = 0


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

    def up(self) -> bool:
        """The latest run of every poller succeeded, leaving out those this Sentry cannot serve."""
        return all(s.ok for s in self.pollers.values() if s.unsupported is None)


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
               trace_id: str | None = None) -> None:
        """The outcome of one run; `result` (of the poller's Results field type) only counts when ok."""
        with self._lock:
            self._record(poller, ok, duration, at, result, trace_id)

    def _record(self, poller: str, ok: bool, duration: float, at: float, result: object,
                trace_id: str | None) -> None:
        before = self._snapshot
        state = before.pollers[poller]
        state = replace(state, ok=ok, ran=True, duration=duration, runs=state.runs + 1,
                        failures=state.failures + (not ok), trace_id=trace_id,
                        unsupported=None if ok else state.unsupported)
        results = before.results
        if ok:
            state = replace(state, last_success=at)
            results = replace(results, **{poller: result})
        self._snapshot = Snapshot(MappingProxyType({**before.pollers, poller: state}), results)

    def publish(self, poller: str, result: object) -> None:
        """Data a run shows before it ends (an issues pass's newest pages): the result only. The run's
        outcome, duration and last success are recorded when it ends."""
        with self._lock:
            before = self._snapshot
            if getattr(before.results, poller) is not None:  # after a first success only: never half a baseline
                self._snapshot = replace(before, results=replace(before.results, **{poller: result}))

    def record_unsupported(self, poller: str, reason: str, duration: float, at: float,
                           trace_id: str | None = None) -> bool:
        """A run that Sentry refused (pollers.Unsupported: a 403, a bare 404 or a 400 of an endpoint the
        poller can do without). Before the poller's first success the refusal means this Sentry cannot
        serve it: its data is left out, not stale, until a later run succeeds (a plan upgrade, a newer
        version), and True is returned. Once it has worked, the same refusal is a failure (a scope taken
        away, a proxy or an outage answering 404): the last values stay, sentry_up goes to 0, the next
        run tries again, and False is returned. No streak turns a working poller unsupported: a restart
        does, since a new process has not worked yet."""
        with self._lock:
            before = self._snapshot
            state = before.pollers[poller]
            if state.last_success is not None:
                self._record(poller, False, duration, at, None, trace_id)
                return False
            state = replace(state, ok=False, ran=True, duration=duration, runs=state.runs + 1,
                            unsupported_runs=state.unsupported_runs + 1, trace_id=trace_id, unsupported=reason)
            results = replace(before.results, **{poller: None})
            self._snapshot = Snapshot(MappingProxyType({**before.pollers, poller: state}), results)
            return True

    def ready(self) -> bool:
        """At least one successful poll of every poller this Sentry can serve: the data is whole."""
        return all(s.last_success is not None for s in self._snapshot.pollers.values() if s.unsupported is None)
