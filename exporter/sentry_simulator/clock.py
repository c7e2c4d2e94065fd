"""A controllable clock for tests: call it like ``time.time``."""

from __future__ import annotations

import threading
import time


class FakeClock:
    """Returns a fixed time until moved with ``advance`` or ``set``."""

    def __init__(self, start: float | None = None):
        self._now = float(time.time() if start is None else start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, now: float) -> None:
        with self._lock:
            self._now = float(now)
