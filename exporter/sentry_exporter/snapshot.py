"""The latest result of every poller, replaced atomically; scrapes only ever read it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Mapping


@dataclass(frozen=True)
class PollerState:
    ok: bool = False                  # the latest run succeeded
    ran: bool = False                 # it has run at least once
    last_success: float | None = None
    duration: float | None = None     # of the latest run, seconds
    result: Any = None                # the last good result: kept through failures
    runs: int = 0
    failures: int = 0
    trace_id: str | None = None       # of the latest run: an exemplar links the metric to its trace


class SnapshotStore:
    def __init__(self, pollers: tuple[str, ...]):
        self._lock = threading.Lock()  # serialises writers; readers take the reference as it is
        self._states: Mapping[str, PollerState] = MappingProxyType({name: PollerState() for name in pollers})

    def current(self) -> Mapping[str, PollerState]:
        return self._states

    def record(self, poller: str, ok: bool, duration: float, at: float, result: Any = None,
               trace_id: str | None = None) -> None:
        with self._lock:
            states = dict(self._states)
            before = states[poller]
            state = replace(before, ok=ok, ran=True, duration=duration, runs=before.runs + 1,
                            failures=before.failures + (not ok), trace_id=trace_id)
            if ok:
                state = replace(state, last_success=at, result=result)
            states[poller] = state
            self._states = MappingProxyType(states)

    def ready(self) -> bool:
        """At least one successful poll of every poller: the data is whole."""
        return all(s.last_success is not None for s in self._states.values())
