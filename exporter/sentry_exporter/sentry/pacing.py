"""Request pacing: stay under our own budget and under what Sentry's rate-limit headers say.

Sentry limits per caller and endpoint in fixed one-second windows and reports the window in
X-Sentry-Rate-Limit-{Limit,Remaining,Reset} (Reset is an absolute epoch second). It sends no
Retry-After. Self-hosted Sentry sends no such headers at all, so our own budget still applies.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Callable, Mapping


@dataclass
class Window:
    limit: int | None = None
    remaining: int | None = None
    reset: float = 0.0  # epoch seconds when the next window opens
    concurrent_remaining: int | None = None


class Pacer:
    def __init__(self, requests_per_second: float, max_concurrency: int = 2,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self._spacing = 1.0 / requests_per_second
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._windows: dict[str, Window] = {}
        self._in_flight: dict[str, int] = {}

    def window(self, endpoint: str) -> Window:
        with self._lock:
            return self._windows.setdefault(endpoint, Window())

    def acquire(self, endpoint: str) -> None:
        """Block until a request to `endpoint` fits every budget; pair with release()."""
        self._slots.acquire()
        while True:
            with self._lock:
                now = self._clock()
                wait = self._next_slot - now
                w = self._windows.setdefault(endpoint, Window())
                if w.reset <= now and w.remaining is not None:
                    w.remaining = None  # a new window has opened
                in_flight = self._in_flight.get(endpoint, 0)
                if w.remaining is not None and w.remaining - in_flight <= 0:
                    wait = max(wait, w.reset - now)
                elif w.concurrent_remaining is not None and w.concurrent_remaining - in_flight <= 0 and in_flight:
                    wait = max(wait, 0.05)
                if wait <= 0:
                    self._next_slot = max(self._next_slot, now) + self._spacing
                    self._in_flight[endpoint] = in_flight + 1
                    return
            self._sleep(min(wait, 5.0))

    def release(self, endpoint: str, headers: Mapping[str, str] | None) -> None:
        with self._lock:
            self._in_flight[endpoint] = max(0, self._in_flight.get(endpoint, 1) - 1)
            if headers is not None:
                self._update(endpoint, headers)
        self._slots.release()

    def _update(self, endpoint: str, headers: Mapping[str, str]) -> None:
        w = self._windows.setdefault(endpoint, Window())
        limit = _int(headers.get("X-Sentry-Rate-Limit-Limit"))
        remaining = _int(headers.get("X-Sentry-Rate-Limit-Remaining"))
        reset = _int(headers.get("X-Sentry-Rate-Limit-Reset"))
        if limit is not None:
            w.limit = limit
        if remaining is not None and reset is not None:
            # Responses can arrive out of order: keep the most pessimistic view of the newest window.
            if reset > w.reset or w.remaining is None:
                w.reset, w.remaining = float(reset), remaining
            elif reset == w.reset:
                w.remaining = min(w.remaining, remaining)
        concurrent = _int(headers.get("X-Sentry-Rate-Limit-ConcurrentRemaining"))
        if concurrent is not None:
            w.concurrent_remaining = concurrent

    def windows(self) -> dict[str, Window]:
        """A copy of every endpoint's window, as of now (an expired window is full again)."""
        with self._lock:
            now = self._clock()
            return {endpoint: replace(w, remaining=w.limit) if w.reset <= now and w.limit is not None else replace(w)
                    for endpoint, w in self._windows.items()}

    def block_until(self, endpoint: str, epoch: float) -> None:
        """After a 429: nothing goes to this endpoint before `epoch`."""
        with self._lock:
            w = self._windows.setdefault(endpoint, Window())
            w.reset, w.remaining = max(w.reset, epoch), 0


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except (ValueError, OverflowError):  # OverflowError: "inf" or "1e400", which would leak a slot in release()
        return None
