"""The HTTP face of the simulator: routing, auth, rate limits, faults, JSON responses."""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
import traceback
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from . import api_events, api_issues, api_org, api_releases, api_stats
from .context import Request, Response
from .control import Faults, RateLimiter, RequestLog, RequestRecord
from .errors import NOT_FOUND, ApiError
from .model import Org

_ORG = r"^/api/0/organizations/(?P<org>[^/]+)/"
_PROJ = r"^/api/0/projects/(?P<org>[^/]+)/(?P<project>[^/]+)/"
# (endpoint name, path pattern, handler). Names match the exporter's `endpoint` label where they overlap.
ROUTES: list[tuple[str, re.Pattern, Callable]] = [
    ("organization", re.compile(_ORG + "$"), api_org.organization),
    ("projects", re.compile(_ORG + "projects/$"), api_org.projects),
    ("environments", re.compile(_ORG + "environments/$"), api_org.environments),
    ("issues", re.compile(_ORG + "issues/$"), api_issues.org_issues),
    ("project_issues", re.compile(_PROJ + "issues/$"), api_issues.project_issues),
    ("stats_v2", re.compile(_ORG + "stats_v2/$"), api_stats.stats_v2),
    ("project_stats", re.compile(_PROJ + "stats/$"), api_stats.project_stats),
    ("events", re.compile(_ORG + "events/$"), api_events.events),
    ("releases", re.compile(_ORG + "releases/$"), api_releases.releases),
    ("sessions", re.compile(_ORG + "sessions/$"), api_releases.sessions),
]
# Rate limits that Sentry's source fixes per endpoint (requests per second), used when limiting is on.
SOURCE_LIMITS = {"project_issues": 5}
CONCURRENT_LIMIT = 25  # sentry.io reports 25 in a third-party capture (UNVERIFIED in the contract)


class SimulatorServer:
    """A fake Sentry serving one ``Org`` under ``/api/0/``. ``url`` is the base (no ``/api/0``)."""

    def __init__(self, org: Org, host: str = "127.0.0.1", port: int = 0, token: str | Iterable[str] = "sntrys_test",
                 clock: Callable[[], float] = time.time, rate_limit_per_second: int | dict | None = None,
                 latency_seconds: float = 0.0, public_url: str | None = None,
                 rate_limit_clock: Callable[[], float] = time.time, concurrent_limit: int = CONCURRENT_LIMIT):
        self.org = org
        self.tokens = {token} if isinstance(token, str) else set(token)
        self.clock = clock
        self.latency_seconds = latency_seconds
        self.public_url = public_url.rstrip("/") if public_url else None
        self.faults = Faults()
        self.log = RequestLog()
        if isinstance(rate_limit_per_second, dict):
            limits, default = dict(rate_limit_per_second), None
        elif rate_limit_per_second is None:
            limits, default = {}, None  # self-hosted: no headers, no 429s
        else:
            limits = {name: min(limit, rate_limit_per_second) for name, limit in SOURCE_LIMITS.items()}
            default = rate_limit_per_second
        self.rate_limiter = RateLimiter(limits, default, rate_limit_clock, concurrent_limit)
        self._httpd = _HTTPServer((host, port), _Handler)
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
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sentry-simulator", daemon=True)
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

    def clear_log(self) -> None:
        self.log.clear()

    # ------------------------------------------------------------------ serving
    def authenticate(self, header: str | None) -> tuple[str | None, ApiError | None]:
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
        if token not in self.tokens:
            return None, ApiError(401, "Invalid token")
        return token, None

    def dispatch(self, path: str) -> tuple[str | None, Callable | None, dict]:
        for name, pattern, handler in ROUTES:
            match = pattern.match(path)
            if match:
                return name, handler, match.groupdict()
        return None, None, {}

    def handle(self, endpoint: str, handler: Callable, path: str, params: dict, path_args: dict) -> Response:
        org = self.org
        if path_args.get("org") not in (org.slug, org.id):
            raise ApiError(404, NOT_FOUND)
        with org.lock:
            request = Request(org, path, params, self.clock(), self.link_base, path_args)
            return handler(request)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sentry-simulator"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests read the request log instead
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        sim: SimulatorServer = self.server.simulator
        split = urlsplit(self.path)
        path = split.path
        params = parse_qs(split.query, keep_blank_values=True)
        endpoint, handler, path_args = sim.dispatch(path)
        fault = sim.faults.take(endpoint) if endpoint else None
        fault_name = None
        if fault and fault.slow_seconds:
            time.sleep(fault.slow_seconds)
            fault_name = "slow"
        if sim.latency_seconds:
            time.sleep(sim.latency_seconds)
        caller, auth_error = sim.authenticate(self.headers.get("Authorization"))
        rate = None
        rate_key = caller or self.client_address[0]
        status = 500
        try:
            if fault and (fault.status or fault.html_error):
                fault_name = "html_error" if fault.html_error else f"status_{fault.status}"
                status = self._send_fault(sim, fault, endpoint, rate_key)
                return
            if handler is None:
                status = self._send_json(404, {"detail": NOT_FOUND})
                return
            if auth_error:
                status = self._send_json(auth_error.status, auth_error.body,
                                         {"WWW-Authenticate": 'xBasic realm="api"'})
                return
            rate = sim.rate_limiter.enter(rate_key, endpoint)
            if rate is not None and not rate.allowed:
                status = self._send_raw(429, json.dumps(rate.body, separators=(",", ":")).encode(), "text/html; charset=utf-8", rate.headers)
                return
            try:
                response = sim.handle(endpoint, handler, path, params, path_args)
                status, body, headers = response.status, response.body, dict(response.headers)
            except ApiError as error:
                status, body, headers = error.status, error.body, dict(error.headers)
            except Exception:  # noqa: BLE001 - a simulator bug must look like Sentry's 500, not kill the thread
                traceback.print_exc()
                status, body, headers = 500, {"detail": "Internal Error", "errorId": secrets.token_hex(16)}, {}
            if rate is not None:
                headers.update(rate.headers)
            payload = json.dumps(body, separators=(",", ":")).encode()
            if fault and fault.malformed:
                fault_name = "malformed"
                payload = payload[: max(len(payload) // 2, 1)]
                status = 200
            if fault and fault.reset:
                fault_name = "reset"
                self._send_reset(status, payload, headers)
                return
            self._send_raw(status, payload, "application/json", headers)
        finally:
            if rate is not None:
                sim.rate_limiter.leave(rate_key, endpoint)
            sim.log.append(RequestRecord("GET", path, endpoint, params, status, sim.clock(), fault_name))

    def _send_fault(self, sim: SimulatorServer, fault, endpoint: str, caller: str) -> int:
        if fault.html_error:
            status = fault.status or 502
            body = (f"<html><head><title>{status} Bad Gateway</title></head><body><center><h1>{status} Bad Gateway"
                    f"</h1></center><hr><center>nginx</center></body></html>\n").encode()
            return self._send_raw(status, body, "text/html")
        status = fault.status
        headers = {}
        if status == 429:
            limit = sim.rate_limiter.limit_for(endpoint) or 40
            window = int(sim.rate_limiter.now())
            headers = {"X-Sentry-Rate-Limit-Limit": str(limit), "X-Sentry-Rate-Limit-Remaining": "0",
                       "X-Sentry-Rate-Limit-Reset": str(window + 1),
                       "X-Sentry-Rate-Limit-ConcurrentLimit": str(CONCURRENT_LIMIT),
                       "X-Sentry-Rate-Limit-ConcurrentRemaining": str(CONCURRENT_LIMIT - 1)}
            body = {"detail": f"You are attempting to use this endpoint too frequently. Limit is {limit} requests in 1 seconds"}
            return self._send_raw(429, json.dumps(body, separators=(",", ":")).encode(), "text/html; charset=utf-8", headers)
        if status >= 500:
            body = {"detail": "Internal Error", "errorId": secrets.token_hex(16)}
        elif status == 401:
            body = {"detail": "Invalid token"}
        elif status == 403:
            body = {"detail": "You do not have permission to perform this action."}
        elif status == 404:
            body = {"detail": NOT_FOUND}
        else:
            body = {"detail": "Injected fault"}
        return self._send_json(status, body)

    def _send_json(self, status: int, body, headers: dict | None = None) -> int:
        return self._send_raw(status, json.dumps(body, separators=(",", ":")).encode(), "application/json", headers)

    def _send_raw(self, status: int, payload: bytes, content_type: str, headers: dict | None = None) -> int:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        return status

    def _send_reset(self, status: int, payload: bytes, headers: dict) -> None:
        """Promise the full body, send half, then drop the connection."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
