"""Request pacing: stay under our own budget and under what Sentry's rate-limit headers say.

Sentry limits per caller and *bucket* in fixed windows (see buckets.py: the issues index, projects
and sessions share one) and reports the bucket's window in X-Sentry-Rate-Limit-{Limit,Remaining,Reset}
(Reset is an absolute epoch second), plus ConcurrentLimit/ConcurrentRemaining, which can be the
literal string "None" (`src/sentry/middleware/ratelimit.py` writes `concurrent_remaining` as is).
It sends no Retry-After. Self-hosted Sentry sends no such headers at all (the middleware returns
early on `SENTRY_SELF_HOSTED`): then no window is known and only our own budget, one clock for
every request, spaces them.
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

    def known(self) -> bool:
        return self.limit is not None or self.remaining is not None


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

    def acquire(self, bucket: str) -> None:
        """Block until a request counted in `bucket` fits every budget; pair with release()."""
        self._slots.acquire()
        while True:
            with self._lock:
                now = self._clock()
                wait = self._next_slot - now
                w = self._windows.setdefault(bucket, Window())
                if w.reset <= now and w.remaining is not None:
                    w.remaining = None  # a new window has opened
                in_flight = self._in_flight.get(bucket, 0)
                if w.remaining is not None and w.remaining - in_flight <= 0:
                    wait = max(wait, w.reset - now)
                elif w.concurrent_remaining is not None and w.concurrent_remaining - in_flight <= 0 and in_flight:
                    wait = max(wait, 0.05)
                if wait <= 0:
                    self._next_slot = max(self._next_slot, now) + self._spacing
                    self._in_flight[bucket] = in_flight + 1
                    return
            self._sleep(min(wait, 5.0))

    def release(self, bucket: str, headers: Mapping[str, str] | None) -> None:
        with self._lock:
            self._in_flight[bucket] = max(0, self._in_flight.get(bucket, 1) - 1)
            if headers is not None:
                self._update(bucket, headers)
        self._slots.release()

    def _update(self, bucket: str, headers: Mapping[str, str]) -> None:
        w = self._windows.setdefault(bucket, Window())
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
        if "X-Sentry-Rate-Limit-ConcurrentRemaining" in headers:  # "None" there means no concurrency limit
            w.concurrent_remaining = _int(headers["X-Sentry-Rate-Limit-ConcurrentRemaining"])

    def windows(self) -> dict[str, Window]:
        """A copy of every bucket's window that Sentry reported, as of now (an expired window is full
        again). Empty against self-hosted Sentry, which sends no rate-limit headers."""
        with self._lock:
            now = self._clock()
            current = (replace(w, remaining=w.limit) if w.reset <= now else replace(w) for w in self._windows.values())
            return {bucket: w for bucket, w in zip(self._windows, current) if w.known()}

    def block_until(self, bucket: str, epoch: float) -> None:
        """After a 429: nothing goes to this bucket before `epoch`."""
        with self._lock:
            w = self._windows.setdefault(bucket, Window())
            w.reset, w.remaining = max(w.reset, epoch), 0


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except (ValueError, OverflowError):  # OverflowError: "inf" or "1e400", which would leak a slot in release()
        return None
