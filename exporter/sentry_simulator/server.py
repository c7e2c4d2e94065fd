"""The HTTP face of the simulator: routing, auth, rate limits, faults, JSON responses."""

from __future__ import annotations

import json
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from . import api_crons, api_detectors, api_events, api_issues, api_org, api_releases, api_stats
from .context import Request, Response
from .control import Faults, RateLimiter, RequestLog, RequestRecord, too_frequent
from .errors import FORBIDDEN, NOT_FOUND, ApiError
from .glitchtip import GlitchTipFlavor
from .model import Org
from .reply import Reply as _Reply
from .reply import dumps as _dumps
from .reply import json_reply as _json_reply
from .switches import Behaviour

_ORG = r"^/api/0/organizations/(?P<org>[^/]+)/"
# (endpoint name, path pattern, handler): the requests the exporter makes; names match its `endpoint` label.
# The bench's truth route is live.py's, behind --control.
ROUTES: list[tuple[str, re.Pattern, Callable]] = [
    ("projects", re.compile(_ORG + "projects/$"), api_org.projects),
    ("issues", re.compile(_ORG + "issues/$"), api_issues.org_issues),
    ("stats_v2", re.compile(_ORG + "stats_v2/$"), api_stats.stats_v2),
    ("events", re.compile(_ORG + "events/$"), api_events.events),
    ("releases", re.compile(_ORG + "releases/$"), api_releases.releases),
    ("sessions", re.compile(_ORG + "sessions/$"), api_releases.sessions),
    ("deploys", re.compile(_ORG + "releases/(?P<version>[^/]+)/deploys/$"), api_releases.deploys),
    ("monitors", re.compile(_ORG + "monitors/$"), api_crons.monitors),
    ("checkins", re.compile(_ORG + "monitors/(?P<monitor>[^/]+)/checkins/$"), api_crons.checkins),
    ("detectors", re.compile(_ORG + "detectors/$"), api_detectors.detectors),
]
CONCURRENT_LIMIT = 25  # sentry.io reports 25 in a third-party capture (UNVERIFIED in the contract)
# Org auth tokens carry only org:ci; of these endpoints only the releases list and a release's deploys
# accept it (§0.2: the org-auth-token create endpoint hard-codes scope_list=["org:ci"]; the releases
# scope map and the deploys endpoint's published security list org:ci).
ORG_TOKEN_PREFIX = "sntrys_"
ORG_TOKEN_ENDPOINTS = frozenset({"releases", "deploys"})
SNUBA_THROTTLED = "Rate limit exceeded. Please try your query with a smaller date range or fewer projects."


class SimulatorServer:
    """A fake Sentry serving one ``Org`` under ``/api/0/``. ``url`` is the base (no ``/api/0``).

    ``rate_limit_clock`` is Sentry's wall clock: its rate-limit windows, ``X-Sentry-Rate-Limit-Reset``
    and the ``Date`` header all read it, so a clock a few seconds off ours reproduces a skewed Sentry.
    ``rate_limit_per_second=None`` is self-hosted: the middleware returns early there, so no
    rate-limit headers and no 429s (§0.5). A number is sentry.io: the group-default bucket allows that
    many requests a second per caller, shared by issues, sessions and projects (releases, stats_v2 and
    events have buckets of their own: control.py OWN_BUCKETS).
    Tokens starting ``sntrys_`` are org auth tokens (§0.2); any other accepted token is a user token.
    """

    def __init__(self, org: Org, host: str = "127.0.0.1", port: int = 0, token: str | Iterable[str] = "sntryu_test",
                 clock: Callable[[], float] = time.time, rate_limit_per_second: int | None = None,
                 latency_seconds: float = 0.0, public_url: str | None = None,
                 rate_limit_clock: Callable[[], float] = time.time, concurrent_limit: int | None = CONCURRENT_LIMIT,
                 behaviour: Behaviour | None = None,
                 control: Callable[[str, dict], tuple[int, object]] | None = None,
                 flavor: str = "sentry", token_scopes: dict[str, Iterable[str]] | None = None):
        """``control`` answers ``/_control/…`` (live.py); None, the default, serves no such route.
        ``flavor`` is the server kind it answers as: "sentry", or "glitchtip" (glitchtip/: GlitchTip's
        own routes, serializers and errors). ``token_scopes`` narrows a token's scopes where the flavour
        checks them (GlitchTip); a token not named there has every scope."""
        if flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {flavor!r}: one of {', '.join(FLAVORS)}")
        self.flavor = FLAVORS[flavor]
        self.token_scopes = {token: frozenset(scopes) for token, scopes in (token_scopes or {}).items()}
        self.org = org
        self.control = control
        self.tokens = {token} if isinstance(token, str) else set(token)
        self.clock = clock
        self.latency_seconds = latency_seconds
        self.public_url = public_url.rstrip("/") if public_url else None
        self.behaviour = behaviour or Behaviour()
        self.faults = Faults()
        self.log = RequestLog()
        self.rate_limiter = RateLimiter(rate_limit_per_second, rate_limit_clock, concurrent_limit)
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        self._httpd = server_class((host, port), _Handler)
        self._httpd.simulator = self
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    @property
    def link_base(self) -> str:
        return self.public_url or self.url

    def start(self) -> "SimulatorServer":
        # A short poll interval keeps stop() fast (tests start many servers).
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sentry-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------- observation
    @property
    def request_log(self) -> list[RequestRecord]:
        return self.log.snapshot()

    def requests(self, endpoint: str | None = None, status: int | None = None) -> list[RequestRecord]:
        return [r for r in self.log.snapshot()
                if (endpoint is None or r.endpoint == endpoint) and (status is None or r.status == status)]

    def requests_by_status(self, endpoint: str | None = None) -> Counter:
        return Counter(r.status for r in self.requests(endpoint))

    def requests_by_endpoint(self) -> Counter:
        return Counter(r.endpoint for r in self.log.snapshot())

    # ------------------------------------------------------------------ serving
    def authenticate(self, header: str | None) -> tuple[str | None, ApiError | None]:
        """(caller, error) as the flavour's authentication answers."""
        return self.flavor.authenticate(header, self.tokens)

    @staticmethod
    def rate_limit_caller(token: str | None, address: str) -> str:
        """Who a request counts against: user tokens per user, org tokens (and no token) per IP (§0.5)."""
        if token is None or token.startswith(ORG_TOKEN_PREFIX):
            return f"ip:{address}"
        return f"user:{token}"

    def dispatch(self, path: str) -> tuple[str | None, Callable | None, dict]:
        for name, pattern, handler in self.flavor.routes:
            match = pattern.match(path)
            if match:
                return name, handler, match.groupdict()
        return None, None, {}

    def handle(self, endpoint: str, handler: Callable, path: str, params: dict, path_args: dict,
               token: str | None) -> Response:
        return self.flavor.handle(self, endpoint, handler, path, params, path_args, token)


class SentryFlavor:
    """Sentry's routes, authentication (sentry/api/authentication.py), org look-up and unmatched paths.
    A flavour answers these; everything else (faults, rate limits, the request log) is the server's."""

    name = "sentry"
    routes = ROUTES

    @staticmethod
    def authenticate(header: str | None, tokens: set) -> tuple[str | None, ApiError | None]:
        """(caller, error) following sentry/api/authentication.py's messages."""
        if not header:
            return None, ApiError(401, "Authentication credentials were not provided.")
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != "bearer":
            return None, ApiError(401, "Authentication credentials were not provided.")
        token = rest.strip()
        if not token:
            return None, ApiError(401, "Invalid token header. No credentials provided.")
        if " " in token:
            return None, ApiError(401, "Invalid token header. Token string should not contain spaces.")
        if token not in tokens:
            return None, ApiError(401, "Invalid token")
        return token, None

    @staticmethod
    def auth_failed(error: ApiError) -> _Reply:
        return _json_reply(error.status, error.body, {"WWW-Authenticate": 'xBasic realm="api"'})

    @staticmethod
    def unmatched(path: str, content_type: str) -> _Reply:
        return _unmatched(path, content_type)

    @staticmethod
    def error_reply(status: int) -> _Reply:
        """An injected error status: DRF's detail bodies, and a 5xx with its errorId."""
        if status >= 500:
            body = {"detail": "Internal Error", "errorId": secrets.token_hex(16)}
        else:
            body = {"detail": {401: "Invalid token", 403: FORBIDDEN, 404: NOT_FOUND}.get(status, "Injected fault")}
        return _json_reply(status, body)

    @staticmethod
    def handle(sim: "SimulatorServer", endpoint: str, handler: Callable, path: str, params: dict,
               path_args: dict, token: str) -> Response:
        org = sim.org
        if path_args.get("org") not in (org.slug, org.id):
            raise ApiError(404, NOT_FOUND)
        if token.startswith(ORG_TOKEN_PREFIX) and endpoint not in ORG_TOKEN_ENDPOINTS:
            raise ApiError(403, FORBIDDEN)
        with org.lock:
            request = Request(org, path, params, sim.clock(), sim.link_base, path_args, sim.behaviour)
            return handler(request)


FLAVORS = {"sentry": SentryFlavor(), "glitchtip": GlitchTipFlavor()}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is routine
            super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sentry-simulator"
    sys_version = ""

    def setup(self):
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK add ~40 ms per request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests read the request log instead
        pass

    def date_time_string(self, timestamp=None):
        """The Date header, on Sentry's own clock: the one its rate-limit windows and Reset use, so a
        test can skew that clock against the exporter's and the two headers stay consistent."""
        return super().date_time_string(self.server.simulator.rate_limiter.now() if timestamp is None else timestamp)

    def do_GET(self):  # noqa: N802 - http.server's naming
        sim: SimulatorServer = self.server.simulator
        split = urlsplit(self.path)
        path = split.path
        params = parse_qs(split.query, keep_blank_values=True)
        if sim.control is not None and path.startswith("/_control/"):
            self._send(_json_reply(*sim.control(path, params)))
            return
        route, handler, path_args = sim.dispatch(path)
        # Discover's uptime_results has a name of its own in the log and for faults, as in the exporter's
        # endpoint label; it is still the events endpoint for rate limits and the org-token check.
        endpoint = "uptime_results" if route == "events" and params.get("dataset") == ["uptime_results"] else route
        fault = sim.faults.take(endpoint) if endpoint else None
        if fault and fault.slow_seconds:
            time.sleep(fault.slow_seconds)
        token, auth_error = sim.authenticate(self.headers.get("Authorization"))
        rate_key = sim.rate_limit_caller(token, self.client_address[0])
        rate = None
        try:
            if fault and (fault.status or fault.html_error or fault.snuba_throttle):
                reply = _fault_reply(sim, fault, route)
            elif handler is None:
                reply = sim.flavor.unmatched(path, self.headers.get("Content-Type", ""))
            elif auth_error and not getattr(handler, "public", False):
                reply = sim.flavor.auth_failed(auth_error)
            else:
                rate = sim.rate_limiter.enter(rate_key, route)
                if rate is not None and not rate.allowed:
                    reply = _rate_limited_reply(rate.body, rate.headers)
                else:
                    if sim.latency_seconds:  # processing time: the request counts as in flight meanwhile
                        time.sleep(sim.latency_seconds)
                    reply = _api_reply(sim, route, handler, path, params, path_args, token)
                    if rate is not None:
                        reply.headers.update(rate.headers)
                    if fault and fault.malformed:
                        reply.status, reply.payload, reply.fault = 200, reply.payload[: max(len(reply.payload) // 2, 1)], "malformed"
                    elif fault and fault.reset:
                        reply.fault = "reset"
                    elif fault and fault.junk_items:
                        reply.payload, reply.fault = _without_ids(reply.payload), "junk_items"
            if fault and fault.slow_seconds and reply.fault is None:
                reply.fault = "slow"
            # Logged before the answer leaves, so a client that saw the answer also sees the record.
            sim.log.append(RequestRecord("GET", path, endpoint, params, reply.status, sim.clock(), reply.fault))
            self._send(reply)
        finally:
            if rate is not None:
                sim.rate_limiter.leave(rate_key, route)

    def _send(self, reply: "_Reply") -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if reply.fault != "reset":
            self.wfile.write(reply.payload)
            return
        # Promise the full body, send half, then drop the connection.
        self.wfile.write(reply.payload[: len(reply.payload) // 2])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _rate_limited_reply(body, headers: dict, fault: str | None = None) -> _Reply:
    # The middleware builds a bare HttpResponse: Django's default content type, JSON bytes, no Retry-After.
    return _Reply(429, _dumps(body), "text/html; charset=utf-8", headers, fault)


# Django's own 404 page (django/views/defaults.py ERROR_PAGE_TEMPLATE, page_not_found), which answers a
# path outside /api/0/ that no URL pattern matches: HTML, not JSON. (Sentry sets handler404 to its
# Error404View, another HTML page; GlitchTip answers its missing endpoints with Django's, CONTRACT §0.17.)
DJANGO_NOT_FOUND = ("\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n"
                    "  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n"
                    "</html>\n")


def _unmatched(path: str, content_type: str) -> _Reply:
    """A path no route matches. Under /api/0/ it reaches Sentry's CatchallEndpoint, mounted last in
    `src/sentry/api/urls.py` (`src/sentry/api/endpoints/catchall.py`): a bare 404 with no body, or, without
    the trailing slash, a hint in text/plain (JSON when the request says it sends JSON). Elsewhere it is
    Django's HTML 404 page: what a SENTRY_URL with a wrong path prefix gets. `/api/<not 0>…` (such as the
    GlitchTip probe `/api/settings/`) is redirected to the API settings page, as `src/sentry/web/urls.py`
    does ("sentry-api-not-0-redirect", RedirectView, permanent=False); the Location is this simulator's
    stand-in for that page's URL."""
    if re.fullmatch(r"/api/[^0]+/?", path):
        return _Reply(302, b"", "text/html; charset=utf-8", {"Location": "/api/"})
    if not path.startswith("/api/0/"):
        return _Reply(404, DJANGO_NOT_FOUND.encode(), "text/html; charset=utf-8")
    if path.endswith("/"):
        return _Reply(404, b"", "text/html; charset=utf-8")  # HttpResponse(status=404): Django's default type
    hint, suggestion = "Route not found, did you forget a trailing slash?", f"try: {path}/"
    if content_type.startswith("application/json"):
        return _json_reply(404, {"info": f"{hint} {suggestion}"})
    arrow = " " * (len(suggestion) - 1) + "^"
    return _Reply(404, f"{hint}\n\n{suggestion}\n{arrow}\n".encode(), "text/plain")


def _without_ids(payload: bytes) -> bytes:
    body = json.loads(payload or b"null")
    if isinstance(body, list):
        body = [{k: v for k, v in item.items() if k != "id"} if isinstance(item, dict) else item for item in body]
    return _dumps(body)


def _api_reply(sim: SimulatorServer, endpoint, handler, path, params, path_args, token) -> _Reply:
    try:
        response = sim.handle(endpoint, handler, path, params, path_args, token)
        if response.content_type is not None:  # a page, not JSON
            return _Reply(response.status, response.body, response.content_type, response.headers)
        return _json_reply(response.status, response.body, response.headers)
    except ApiError as error:
        return _json_reply(error.status, error.body, error.headers)
    except Exception:  # noqa: BLE001 - a simulator bug must look like the server's 500, not kill the thread
        traceback.print_exc()
        return sim.flavor.error_reply(500)


def _fault_reply(sim: SimulatorServer, fault, endpoint: str) -> _Reply:
    if fault.html_error:
        status = fault.status or 502
        title = f"{status} {HTTPStatus(status).phrase}"  # nginx's error page, e.g. "404 Not Found"
        page = (f"<html><head><title>{title}</title></head><body><center><h1>{title}"
                f"</h1></center><hr><center>nginx</center></body></html>\n").encode()
        return _Reply(status, page, "text/html", fault="html_error")
    if fault.snuba_throttle:
        # Snuba's throttling, through DRF's Throttled (api/handlers.py) or a query-error path's 400
        # (api/utils.py handle_query_errors): a detail object and no rate-limit headers at all (§0.4).
        return _Reply(fault.snuba_throttle, _dumps({"detail": SNUBA_THROTTLED}), fault=f"snuba_{fault.snuba_throttle}")
    status = fault.status
    name = f"status_{status}"
    if status == 429:  # the middleware's fixed-window answer
        limit = sim.rate_limiter.limit_for(endpoint) or 40
        window = int(sim.rate_limiter.now())
        headers = {"X-Sentry-Rate-Limit-Limit": str(limit), "X-Sentry-Rate-Limit-Remaining": "0",
                   "X-Sentry-Rate-Limit-Reset": str(window + 1),
                   "X-Sentry-Rate-Limit-ConcurrentLimit": str(CONCURRENT_LIMIT),
                   "X-Sentry-Rate-Limit-ConcurrentRemaining": "None"}
        return _rate_limited_reply(too_frequent(limit), headers, name)
    reply = sim.flavor.error_reply(status)
    reply.fault = name
    return reply
