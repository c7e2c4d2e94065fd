"""Test switches around the API: injected faults, the rate limiter and the request log."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Fault:
    status: int | None = None         # answer with this status and a Sentry-style body
    count: int | None = None          # how many requests to hit; None = until cleared
    endpoint: str | None = None       # only this endpoint name; None = all
    slow_seconds: float = 0.0         # delay before answering (then answer normally unless other switches)
    malformed: bool = False           # 200 with truncated JSON
    html_error: bool = False          # a proxy's HTML error page (status defaults to 502)
    reset: bool = False               # close the connection in the middle of the body
    snuba_throttle: int | None = None  # 429 (or 400) with Snuba's throttling detail and no rate-limit headers
    junk_items: bool = False          # 200, but every item of a list answer lacks its id (a broken compatible server)
    after: int = 0                    # let this many matching requests through first (a fault mid-listing)


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def set(self, status: int | None = None, count: int | None = None, endpoint: str | None = None,
            slow_seconds: float = 0.0, malformed: bool = False, html_error: bool = False,
            reset: bool = False, snuba_throttle: int | None = None, junk_items: bool = False,
            after: int = 0) -> Fault:
        if snuba_throttle not in (None, 400, 429):
            raise ValueError("snuba_throttle is 429 (api/handlers.py) or 400 (api/utils.py handle_query_errors)")
        rule = Fault(status, count, endpoint, slow_seconds, malformed, html_error, reset, snuba_throttle, junk_items,
                     after)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, endpoint: str) -> Fault | None:
        """The first active rule for ``endpoint``, consuming one of its uses."""
        with self._lock:
            for rule in self._rules:
                if rule.endpoint not in (None, endpoint):
                    continue
                if rule.after > 0:
                    rule.after -= 1
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                return rule
        return None


@dataclass
class RateDecision:
    allowed: bool
    headers: dict
    body: object = None


# Endpoints with a rate-limit config of their own count in a bucket of their own; every other endpoint
# (org issues index, sessions, projects) shares the group-default bucket. Values are the source's
# per-second limits, None where the contract gives none. (ratelimits/utils.py get_rate_limit_key:
# "{category}:{group}:{view}:{method}:{id}" with a custom limit, else "{category}:{group}:{method}:{id}";
# stats_v2's 20/s: api/endpoints/organization_stats_v2.py; releases' GET 40/s for IP, user and org:
# src/sentry/releases/endpoints/organization_releases.py in the newest source — CONTRACT §0.5 read an
# older api/endpoints/organization_releases.py without it, which counted releases in "default".)
# UNCERTAIN: that Discover's /events/ has its own config is not in the contract.
OWN_BUCKETS = {"stats_v2": 20, "releases": 40, "events": None}


def bucket_of(endpoint: str) -> str:
    return endpoint if endpoint in OWN_BUCKETS else "default"


class RateLimiter:
    """Fixed 1-second windows per (caller, bucket), plus a concurrency count, as middleware/ratelimit.py.

    ``caller`` is ``user:<id>`` for user tokens, ``ip:<address>`` for org tokens (§0.5).
    ``concurrent_limit=None`` is an endpoint without one: both concurrency headers say ``None``.
    """

    def __init__(self, default: int | None, clock, concurrent_limit: int | None):
        self._default = default
        self._clock = clock
        self._concurrent_limit = concurrent_limit
        self._windows: dict = {}
        self._in_flight: Counter = Counter()
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock()

    def limit_for(self, endpoint: str) -> int | None:
        if self._default is None:
            return None
        own = OWN_BUCKETS.get(endpoint)
        return min(own, self._default) if own else self._default

    def enter(self, caller: str, endpoint: str) -> RateDecision | None:
        limit = self.limit_for(endpoint)
        if limit is None:
            return None
        window = int(self._clock())
        key = (caller, bucket_of(endpoint))
        with self._lock:
            start, used = self._windows.get(key, (window, 0))
            if start != window:
                start, used = window, 0
            used += 1
            self._windows[key] = (start, used)
            self._in_flight[key] += 1
            concurrent = self._in_flight[key]
        headers = {"X-Sentry-Rate-Limit-Limit": str(limit), "X-Sentry-Rate-Limit-Remaining": str(max(limit - used, 0)),
                   "X-Sentry-Rate-Limit-Reset": str(window + 1),
                   "X-Sentry-Rate-Limit-ConcurrentLimit": str(self._concurrent_limit)}
        if used > limit:
            # The concurrency check is skipped once the window is spent, so its remaining count is None.
            headers["X-Sentry-Rate-Limit-ConcurrentRemaining"] = "None"
            return RateDecision(False, headers, too_frequent(limit))
        if self._concurrent_limit is None:
            headers["X-Sentry-Rate-Limit-ConcurrentRemaining"] = "None"
            return RateDecision(True, headers)
        headers["X-Sentry-Rate-Limit-ConcurrentRemaining"] = str(max(self._concurrent_limit - concurrent, 0))
        if concurrent > self._concurrent_limit:
            return RateDecision(False, headers, {"detail": "You are attempting to go above the allowed concurrency "
                                                          f"for this endpoint. Concurrency limit is {self._concurrent_limit}"})
        return RateDecision(True, headers)

    def leave(self, caller: str, endpoint: str) -> None:
        if self.limit_for(endpoint) is None:
            return
        with self._lock:
            self._in_flight[(caller, bucket_of(endpoint))] -= 1


def too_frequent(limit: int) -> str:
    """The middleware's fixed-window 429 body: a JSON string, not an object (§0.3)."""
    return f"You are attempting to use this endpoint too frequently. Limit is {limit} requests in 1 seconds"


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    endpoint: str | None
    params: dict = field(hash=False)   # name -> [values]
    status: int
    time: float
    fault: str | None = None           # which injected fault answered, if any

    def param(self, name: str, default=None):
        values = self.params.get(name)
        return values[0] if values else default


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)
