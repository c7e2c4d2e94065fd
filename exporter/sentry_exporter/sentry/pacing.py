"""Request pacing: stay under our own budget and under what Sentry's rate-limit headers say.

Sentry limits per caller and *bucket* in fixed windows (see buckets.py: the issues index, projects
and sessions share one) and reports the bucket's window in X-Sentry-Rate-Limit-{Limit,Remaining,Reset}
(Reset is an absolute epoch second on *Sentry's* clock: see reset_delay), plus
ConcurrentLimit/ConcurrentRemaining, which can be the
literal string "None" (`src/sentry/middleware/ratelimit.py` writes `concurrent_remaining` as is).
It sends no Retry-After. Self-hosted Sentry sends no such headers at all (the middleware returns
early on `SENTRY_SELF_HOSTED`): then no window is known and only our own budget, one clock for
every request, spaces them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Callable, Mapping

RESET = "X-Sentry-Rate-Limit-Reset"
# The longest wait a Reset header can impose. Every bucket the exporter draws on has a 1-second window
# (`src/sentry/ratelimits/config.py`: the group default is RateLimit(<limit>, 1); the releases, stats_v2
# and events overrides are per second too), so a true Reset is at most a second or two away. 10 s leaves
# room for a longer window Sentry may configure one day, while a wrong Reset (a proxy's, a broken clock)
# holds a bucket for seconds, not for the minute it took before.
MAX_RESET_WAIT = 10.0


def reset_delay(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the window named by X-Sentry-Rate-Limit-Reset opens, clamped to [0, MAX_RESET_WAIT];
    None without the header.

    Reset is an epoch second on Sentry's clock, so it is measured against the response's Date header,
    which the same server sends on the same clock (RFC 9110 §6.6.1), not against ours: with Sentry's clock
    3 s behind, our clock would call every window open at once and earn a 429 per request; 30 s ahead,
    it would wait 31 s for a 1-second window. Both headers have one-second resolution, so the delay can
    be a second long but never short. Without a usable Date, our own clock stands in."""
    reset = _int(headers.get(RESET))
    if reset is None:
        return None
    sentry_now = _http_date(headers.get("Date"))
    return min(max(reset - (now if sentry_now is None else sentry_now), 0.0), MAX_RESET_WAIT)


def _http_date(value: str | None) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass
class Window:
    limit: int | None = None
    remaining: int | None = None
    reset: float = 0.0  # when the next window opens, in epoch seconds on *our* clock
    sentry_reset: int = 0  # the same moment as Sentry wrote it: which window `remaining` belongs to
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
                self._update(bucket, headers, self._clock())
        self._slots.release()

    def _update(self, bucket: str, headers: Mapping[str, str], now: float) -> None:
        w = self._windows.setdefault(bucket, Window())
        limit = _int(headers.get("X-Sentry-Rate-Limit-Limit"))
        remaining = _int(headers.get("X-Sentry-Rate-Limit-Remaining"))
        sentry_reset, delay = _int(headers.get(RESET)), reset_delay(headers, now)
        if limit is not None:
            w.limit = limit
        if remaining is not None and sentry_reset is not None and delay is not None:
            # Responses can arrive out of order: keep the most pessimistic view of the newest window,
            # told apart by Sentry's own Reset (our estimate of it moves with each response's latency).
            if sentry_reset > w.sentry_reset or w.remaining is None:
                w.sentry_reset, w.reset, w.remaining = sentry_reset, now + delay, remaining
            elif sentry_reset == w.sentry_reset:
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
        """After a 429: nothing goes to this bucket before `epoch` (on our clock)."""
        with self._lock:
            w = self._windows.setdefault(bucket, Window())
            w.reset, w.remaining = max(w.reset, epoch), 0


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except (ValueError, OverflowError):  # OverflowError: "inf" or "1e400", which would leak a slot in release()
        return None
