"""The Sentry web API client: auth, pacing, retries, cursor pagination, request accounting."""

from __future__ import annotations

import json
import logging
import math
import random
import re
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import requests
from urllib3 import exceptions as urllib3_errors
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .. import __version__
from ..telemetry import tracing
from .buckets import bucket_of
from .errors import ORG_TOKEN_PREFIX, AuthError, ContractError, MalformedResponse, NotFound, SentryError
from .pacing import Pacer, reset_delay

log = logging.getLogger(__name__)

# The largest body read. A page of 100 issues is about 200-500 kB (real-shapes/issue.json is 4.9 kB with
# stats); the largest answer asked for, stats_v2's 10,000 rows (CONTRACT.md §0.9), is about 1.4 MB. 4 MiB
# is thrice that, and JSON parsed into Python objects takes ~10x its size: a body at the cap still fits
# in the chart's 256 Mi. Past it, reading stops.
MAX_BODY_BYTES = 4 * 1024 * 1024
Params = Sequence[tuple[str, str]] | Mapping[str, str]
# One link of Sentry's Link header, e.g. <…>; rel="next"; results="true"; cursor="0:100:0"
_LINK = re.compile(r'<[^>]*>\s*;\s*rel="(?P<rel>\w+)"\s*;\s*results="(?P<results>\w+)"\s*;\s*cursor="(?P<cursor>[^"]*)"')
# Snuba's throttling, turned into DRF Throttled (429) by `src/sentry/api/handlers.py` and into a 400 on
# some query-error paths (`src/sentry/api/utils.py` handle_query_errors); `RATE_LIMIT_ERROR_MESSAGE`
# in `src/sentry/search/events/constants.py`. It comes with no rate-limit headers at all.
SNUBA_THROTTLED = "Rate limit exceeded. Please try your query with a smaller date range or fewer projects."
THROTTLE_BACKOFF = (1.0, 60.0)  # seconds: first and longest wait after a throttle without a Reset header


@dataclass(frozen=True)
class Listing:
    """A list as `SentryClient.listing` read it: every item, or the first `cap` with `cut` set."""
    items: list[Any]
    cut: bool  # the cap stopped the reading while Sentry had more


class ApiStats:
    """What the client did, for sentry_api_* metrics. Read by scrapes, so it only holds numbers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.malformed: Counter[str] = Counter()

    def count(self, endpoint: str, code: str) -> None:
        with self._lock:
            self.requests[(endpoint, code)] += 1

    def count_malformed(self, endpoint: str) -> None:
        with self._lock:
            self.malformed[endpoint] += 1

    def copy(self) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        with self._lock:
            return dict(self.requests), dict(self.malformed)


def next_cursor(link_header: str | None) -> str | None:
    """The cursor of rel="next" when it has results; None at the end of the list."""
    for m in _LINK.finditer(link_header or ""):
        if m["rel"] == "next":
            return m["cursor"] if m["results"] == "true" and m["cursor"] else None
    return None


class _HeadersDeadline:
    """Mixin for urllib3 connections: the status line and headers must arrive within one read timeout
    in total. The socket timeout applies to each read, so a server trickling a byte at a time could
    hold a poller for ever; at the deadline the socket is shut down, which ends the blocked read."""

    def getresponse(self, *args, **kwargs):
        sock = self.sock
        watchdog = threading.Timer(self.timeout, _shutdown, args=(sock,)) if sock and self.timeout else None
        if watchdog:
            watchdog.daemon = True
            watchdog.start()
        try:
            return super().getresponse(*args, **kwargs)
        finally:
            if watchdog:
                watchdog.cancel()


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _Adapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": type(
                "Connection", (_HeadersDeadline, HTTPConnection), {})}),
            "https": type("Pool", (HTTPSConnectionPool,), {"ConnectionCls": type(
                "Connection", (_HeadersDeadline, HTTPSConnection), {})}),
        }


@dataclass(frozen=True)
class _Retry:
    """Why an attempt failed, and how long to wait before the next one. `wait` is None for a throttle
    without a Reset header: those back off exponentially and are bounded by time, not attempts."""
    failure: str
    status: int | None
    wait: float | None


class _Budget:
    """Seconds left for waiting between attempts: only the time slept is charged, never the time the
    requests themselves took, so a listing that outlives its poll's interval (the first full listing
    of 50,000 issues) still retries a 503 on its last page. A wait is charged even when an injected
    sleep returns at once, so a test with a no-op sleep still runs out of time."""

    def __init__(self, seconds: float):
        self._seconds, self._slept = seconds, 0.0

    def remaining(self) -> float:
        return self._seconds - self._slept

    def charge(self, seconds: float) -> None:
        self._slept += seconds


class SentryClient:
    """Retries: a network error, a timeout or a 5xx is retried up to `max_attempts` times, and so is
    a 429 with a Reset header (after waiting until Reset). Throttling without one (Snuba's 429, or its
    400 variant) backs off from 1 s to 60 s with jitter for as long as `throttle_budget` seconds per
    request allow. Inside `with client.deadline(s):` every wait of that thread's requests also fits
    in those `s` seconds: the caller's time, e.g. a poll's interval."""

    def __init__(self, base_url: str, token: str, *, requests_per_second: float = 5.0, timeout: float = 60.0,
                 max_attempts: int = 4, throttle_budget: float = 60.0, stats: ApiStats | None = None,
                 ca_bundle: str | None = None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.stats = stats or ApiStats()
        self.pacer = Pacer(requests_per_second, clock=clock, sleep=sleep)
        self._timeout = (min(5.0, timeout), timeout)
        self._max_attempts = max_attempts
        self._throttle_budget = throttle_budget
        self._clock, self._sleep = clock, sleep
        self._local = threading.local()  # .deadline: this thread's _Budget inside deadline()
        self._session = requests.Session()
        for prefix in ("http://", "https://"):
            self._session.mount(prefix, _Adapter())
        self._session.headers.update({
            "Authorization": f"Bearer {token}",
            "User-Agent": f"sentry-exporter/{__version__} (+prometheus)",
            "Accept": "application/json",
        })
        # trust_env would let requests (sessions.py) put ~/.netrc credentials in place of our Authorization
        # header, and let REQUESTS_CA_BUNDLE override an explicit `verify`. What is wanted of the environment
        # is taken here instead: its proxy, as curl reads it (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, minus
        # NO_PROXY), and its CA bundle through config.py (SENTRY_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).
        self._session.trust_env = False
        self._session.proxies = requests.utils.get_environ_proxies(self.base_url)
        # The CAs to trust: certifi's bundle unless told otherwise (requests' default, not the system's store).
        # Read at each new connection, so a fixed bundle heals without a restart.
        self._session.verify = ca_bundle or True
        # Masked in every message: the token, and a proxy's password (a proxy error can quote its URL).
        self._secrets = [token, *(urlsplit(url).password or "" for url in self._session.proxies.values())]
        self._token = token

    def close(self) -> None:
        self._session.close()

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """Within the block, this thread's requests wait between attempts for `seconds` in total at most."""
        self._local.deadline = _Budget(seconds)
        try:
            yield
        finally:
            self._local.deadline = None

    def get(self, endpoint: str, path: str, params: Params = (), root: str = "api/0") -> requests.Response:
        """GET with pacing and retries; returns a 2xx response or raises SentryError. `root`: the
        API's prefix, for the one call outside the web API (flavor.py's detection)."""
        url = f"{self.base_url}/{root}/{path.lstrip('/')}"
        bucket = bucket_of(path)
        request = _Budget(self._throttle_budget)
        caller: _Budget | None = getattr(self._local, "deadline", None)
        failed = throttled = 0
        while True:
            outcome = self._attempt(endpoint, bucket, url, params, failed + throttled + 1)
            if isinstance(outcome, requests.Response):
                return outcome
            if outcome.wait is None:
                throttled += 1
                wait = min(THROTTLE_BACKOFF[1], THROTTLE_BACKOFF[0] * 2 ** (throttled - 1) * random.uniform(1.0, 1.5))
                left = request.remaining()
            else:
                failed += 1
                if failed >= self._max_attempts:
                    raise SentryError(endpoint, f"gave up after {failed + throttled} attempts ({outcome.failure})",
                                      outcome.status)
                wait, left = outcome.wait, math.inf
            if caller is not None:
                left = min(left, caller.remaining())
            if wait > left:
                raise SentryError(endpoint, f"gave up after {failed + throttled} attempts: no time left to wait "
                                            f"{wait:.1f}s more ({outcome.failure})", outcome.status)
            self._sleep(wait)
            for budget in (request, caller):
                if budget is not None:
                    budget.charge(wait)

    def _attempt(self, endpoint: str, bucket: str, url: str, params: Params, attempt: int
                 ) -> requests.Response | _Retry:
        """One try: the response when it succeeded, else what failed and how long to wait."""
        self.pacer.acquire(bucket)
        with tracing.span(f"GET {endpoint}", **{"sentry.endpoint": endpoint, "http.request.method": "GET",
                                                 "retry.attempt": attempt}) as span:
            headers = None
            try:
                resp = self._session.get(url, params=params, timeout=self._timeout, allow_redirects=False,
                                         stream=True)
                self._read_body(resp, started=time.monotonic())
                headers = resp.headers
            except requests.RequestException as e:
                self.stats.count(endpoint, "error")
                span.fail()
                failure = self._redact(_describe(e))
                log.warning("Sentry request failed", extra={"endpoint": endpoint, "error": failure})
                return _Retry(failure, None, self._backoff(attempt))
            finally:  # whatever was raised: a slot kept by any other exception would be gone for good
                self.pacer.release(bucket, headers)
            self.stats.count(endpoint, str(resp.status_code))
            span.set("http.response.status_code", resp.status_code)
            if resp.ok:
                return resp
            span.fail()
        status = resp.status_code
        # Masked before it is cut: a hostile or buggy server may echo our Authorization header.
        detail = self._redact(_detail(resp))[:200]
        failure = f"HTTP {status}: {detail}"
        if status in (401, 403):
            raise AuthError(endpoint, status, detail, org_token=self._token.startswith(ORG_TOKEN_PREFIX))
        if status == 429 or (status == 400 and detail == SNUBA_THROTTLED):
            wait = self._rate_limit_wait(bucket, resp)
            log.warning("Sentry rate limit hit", extra={
                "endpoint": endpoint, "bucket": bucket, "status": status, "detail": detail,
                "wait_seconds": "backoff" if wait is None else round(wait, 2)})
            return _Retry(failure, status, wait)
        if status in (400, 422):  # 422: a GlitchTip (django-ninja) validation error
            raise ContractError(endpoint, detail, status)
        if status >= 500:
            log.warning("Sentry server error", extra={"endpoint": endpoint, "status": status})
            return _Retry(failure, status, self._backoff(attempt))
        if 300 <= status < 400:
            # Redirects are not followed: the Authorization header must never travel to another host.
            raise SentryError(endpoint, f"unexpected redirect (HTTP {status}); check SENTRY_URL", status)
        if status == 404:
            raise NotFound(endpoint, failure, bare=not _is_json(resp))
        raise SentryError(endpoint, failure, status)

    def _read_body(self, resp: requests.Response, started: float) -> None:
        """Read the body within the timeout as a whole: requests' read timeout is per socket read,
        so a server trickling a byte a second would otherwise hold the poller forever."""
        body = bytearray()
        try:
            while chunk := resp.raw.read1(65536, decode_content=True):
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise requests.exceptions.ContentDecodingError(
                        f"body larger than {MAX_BODY_BYTES // 2**20} MiB, stopped reading: a page of Sentry's "
                        f"is about 200 kB, so this is not a Sentry answer (a proxy's page?)")
                if time.monotonic() - started > self._timeout[1]:
                    raise requests.exceptions.ReadTimeout(f"body not complete after {self._timeout[1]:g}s")
        except (urllib3_errors.HTTPError, requests.RequestException) as e:
            resp.close()  # half read: this connection cannot be reused
            if isinstance(e, requests.RequestException):
                raise
            kind = requests.exceptions.ReadTimeout if isinstance(e, urllib3_errors.ReadTimeoutError) \
                else requests.exceptions.ConnectionError  # a reset, a short body, bad gzip
            raise kind(str(e)) from None
        resp._content, resp._content_consumed = bytes(body), True  # as requests does once it has read a body
        resp.close()  # with the body consumed, this hands the connection back to the pool

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]") if secret else text
        return text

    def _rate_limit_wait(self, bucket: str, resp: requests.Response) -> float | None:
        """Seconds until the window named by Retry-After or X-Sentry-Rate-Limit-Reset opens, with the
        bucket blocked until then; None when neither header came, as with Snuba's throttling."""
        now = self._clock()
        retry_after = _number(resp.headers.get("Retry-After"))
        if retry_after is not None:
            delay = min(max(retry_after, 0.0), 60.0)  # a wild header must not park the poller for hours
        else:
            delay = reset_delay(resp.headers, now)  # Reset is on Sentry's clock: measured against its Date
            if delay is None:
                return None
        self.pacer.block_until(bucket, now + delay)
        return delay + random.uniform(0, 0.1)

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(30.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def get_json(self, endpoint: str, path: str, params: Params = ()) -> Any:
        resp = self.get(endpoint, path, params)
        return self._json(endpoint, resp)

    def _json(self, endpoint: str, resp: requests.Response) -> Any:
        # Sentry sends some JSON bodies as text/html, so the content type is not trusted either way.
        try:
            return resp.json()
        except (ValueError, json.JSONDecodeError, RecursionError):  # RecursionError: absurdly nested JSON
            self.stats.count_malformed(endpoint)
            raise MalformedResponse(endpoint, f"response is not JSON (HTTP {resp.status_code}, "
                                              f"{len(resp.content)} bytes)") from None

    def pages(self, endpoint: str, path: str, params: Params = (), max_pages: int = 1000, key: str | None = None
              ) -> Iterator[tuple[list[Any], bool]]:
        """Yield (page, whether another page follows) for a cursor-paginated list: the body itself, or
        with `key` the list under that key of an object body (Discover's "data", sessions' "groups").

        The cursor is taken from the Link header and sent to *our* base URL, since the host in
        Sentry's links comes from its own configured URL and can be wrong behind a proxy.
        Stops at results="false", or with an error when a cursor comes back (a pagination loop) or
        after `max_pages` (an empty page may carry a next cursor, so a server could go on forever).
        """
        base = list(params.items()) if isinstance(params, Mapping) else list(params)
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            resp = self.get(endpoint, path, base + ([("cursor", cursor)] if cursor else []))
            page = self._json(endpoint, resp)
            if key is not None:
                page = page.get(key) if isinstance(page, dict) else None
            if not isinstance(page, list):
                self.stats.count_malformed(endpoint)
                raise MalformedResponse(endpoint, f"expected a list{f' of {key}' if key else ''}, "
                                                  f"got {type(page).__name__}")
            cursor = next_cursor(resp.headers.get("Link"))
            yield page, cursor is not None
            if cursor is None:
                return
            if cursor in seen_cursors:
                self.stats.count_malformed(endpoint)
                raise MalformedResponse(endpoint, f"pagination loop: cursor {cursor[:50]!r} came back")
            seen_cursors.add(cursor)
            if len(seen_cursors) >= max_pages:
                self.stats.count_malformed(endpoint)
                raise MalformedResponse(endpoint, f"pagination did not end after {max_pages} pages")


    def listing(self, endpoint: str, path: str, params: Params = (), *, key: str | None = None,
                cap: int | None = None) -> Listing:
        """The items of every page of a cursor-paginated list (see `pages`): the one way a poller reads a
        list. With `cap`, the reading stops at that many items, and `cut` says whether Sentry had more:
        the caller exports that as a `*_truncated` gauge, so a cut is never silent."""
        items: list[Any] = []
        for page, more in self.pages(endpoint, path, params, key=key):
            items.extend(page)
            if cap is not None and len(items) >= cap:
                return Listing(items[:cap], more or len(items) > cap)
        return Listing(items, False)


def _detail(resp: requests.Response) -> str:
    """The server's reason: DRF's {"detail": "…"}, a {"detail": {"message": "…"}} of Sentry's own API
    exceptions, or the bare JSON string the rate-limit middleware sends (CONTRACT.md §0.3)."""
    try:
        detail = resp.json()
    except (ValueError, RecursionError):
        detail = None
    if isinstance(detail, dict):
        detail = detail.get("detail")
    if isinstance(detail, dict):
        detail = detail.get("message")
    if isinstance(detail, list):  # django-ninja's 422: which parameter was refused, and why
        detail = "; ".join(_refusal(item) for item in detail[:5])
    text = detail if isinstance(detail, str) and detail else resp.reason or "no detail"
    return " ".join(text[:4096].split())  # the caller masks the token, then cuts to 200 characters


def _refusal(item: Any) -> str:
    """One item of a 422's detail list (pydantic's errors, as django-ninja sends them): `loc` is
    e.g. ["query", "sort"], `msg` the reason."""
    if not isinstance(item, dict):
        return str(item)
    loc = item.get("loc") if isinstance(item.get("loc"), list) else []
    where = ".".join(str(part) for part in loc[1:] or loc)  # "query"/"body" says only where it was
    return f"parameter {where!r} refused: {item.get('msg', 'invalid')}" if where else str(item.get("msg", item))


def _is_json(resp: requests.Response) -> bool:
    """The body is JSON: a 404 with none (empty, or a web page) means no such route in this server."""
    try:
        resp.json()
    except (ValueError, RecursionError):
        return False
    return True


def _describe(e: requests.RequestException) -> str:
    # The exception text can include the URL; it never includes headers, so no token leaks.
    return f"{type(e).__name__}: {str(e)[:200]}"


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is None or math.isfinite(number) else None  # "nan" and "inf" parse as floats
