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


class SnapshotStore:
    def __init__(self, pollers: tuple[str, ...]):
        self._lock = threading.Lock()  # serialises writers; readers take the reference as it is
        self._states: Mapping[str, PollerState] = MappingProxyType({name: PollerState() for name in pollers})

    def current(self) -> Mapping[str, PollerState]:
        return self._states

    def record(self, poller: str, ok: bool, duration: float, at: float, result: Any = None) -> None:
        with self._lock:
            states = dict(self._states)
            state = replace(states[poller], ok=ok, ran=True, duration=duration)
            if ok:
                state = replace(state, last_success=at, result=result)
            states[poller] = state
            self._states = MappingProxyType(states)

    def ready(self) -> bool:
        """At least one successful poll of every poller: the data is whole."""
        return all(s.last_success is not None for s in self._states.values())
