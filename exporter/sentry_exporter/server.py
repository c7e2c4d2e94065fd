"""The HTTP side: /metrics from the snapshot, /healthz, /readyz and a landing page."""

from __future__ import annotations

import base64
import errno
import hmac
import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from . import __version__

log = logging.getLogger(__name__)

LANDING = b"""<!doctype html><html><head><title>Sentry exporter</title></head><body>
<h1>Sentry exporter</h1><ul><li><a href="metrics">/metrics</a></li><li><a href="healthz">/healthz</a></li>
<li><a href="readyz">/readyz</a></li></ul></body></html>"""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: with more scrapers connecting at once, the kernel drops
    # their SYNs and each retries after 1, 3, 7 s, so a scrape took seconds while the server sat idle.
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        # A scraper that hangs up mid-response (its scrape timeout) is routine; anything else is logged,
        # as a log record rather than socketserver's bare traceback on stderr.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            log.warning("HTTP request failed", exc_info=True)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # dual stack
        super().server_bind()


def _bind(host: str, port: int, handler) -> ThreadingHTTPServer:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return type("Server", (_Server,), {"address_family": family})((host, port), handler)


class Access:
    """Optional protection of /metrics: basic auth or a bearer token, compared in constant time."""

    def __init__(self, user: str | None, password: str | None, bearer: str | None):
        self._expected = []
        if user is not None and password is not None:
            self._expected.append("Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
        if bearer is not None:
            self._expected.append(f"Bearer {bearer}")

    def allows(self, header: str | None) -> bool:
        if not self._expected:
            return True
        given = (header or "").encode()
        return any(hmac.compare_digest(given, e.encode()) for e in self._expected)


class Exposition:
    """The rendered /metrics body, rendered at most once per `max_age` seconds per format.

    Data changes only when a background poll ends, but a burst of scrapes would each render it
    again: they queue on the GIL (seconds at p99 with 50 scrapers) and starve the pollers. One
    render at a time, shared by every scrape that arrives meanwhile.
    """

    def __init__(self, registry: CollectorRegistry, max_age: float = 1.0):
        self._registry, self._max_age = registry, max_age
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, bytes]] = {}  # content type -> (rendered at, body)

    def render(self, accept: str | None) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept)
        with self._lock:
            rendered_at, body = self._cache.get(content_type, (-self._max_age, b""))
            if time.monotonic() - rendered_at >= self._max_age:
                body = encoder(self._registry)
                self._cache[content_type] = (time.monotonic(), body)
        return body, content_type


def make_handler(registry: CollectorRegistry, ready: Callable[[], bool], access: Access):
    exposition = Exposition(registry)

    class Handler(BaseHTTPRequestHandler):
        server_version = f"sentry-exporter/{__version__}"
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
        timeout = 60  # an idle or stalled client gives its thread back after a minute

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                if not access.allows(self.headers.get("Authorization")):
                    self._send(401, b"unauthorized\n", "text/plain", {"WWW-Authenticate": 'Basic realm="metrics"'})
                    return
                self._send(200, *exposition.render(self.headers.get("Accept")))
            elif path == "/healthz":
                self._send(200, b"ok\n", "text/plain")
            elif path == "/readyz":
                is_ready = ready()
                self._send(200 if is_ready else 503, b"ready\n" if is_ready else b"waiting for a first poll\n",
                           "text/plain")
            elif path == "/":
                self._send(200, LANDING, "text/html; charset=utf-8")
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # access logs would drown the poll logs
            pass

    return Handler


def serve(host: str, port: int, handler) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; '::' falls back to 0.0.0.0 where IPv6 is absent."""
    try:
        server = _bind(host, port, handler)
    except OSError as e:
        if host != "::" or e.errno not in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):
            raise
        server = _bind("0.0.0.0", port, handler)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
