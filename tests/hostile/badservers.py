"""Hostile stand-ins for Sentry, all on 127.0.0.1: a scripted JSON server and raw-socket misbehavers.

The simulator is a faithful Sentry; these are deliberately not. Every server records what it was
sent, so a test can prove for instance that a token never reached a host it must not reach.
"""

from __future__ import annotations

import json
import socket
import sys
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

ENDPOINTS = {"projects": "projects", "issues": "issues", "stats_v2": "stats_v2", "events": "events",
             "releases": "releases", "sessions": "sessions"}


def endpoint_of(path: str) -> str:
    """The Sentry endpoint name of an /api/0/organizations/<org>/<name>/ path."""
    parts = [p for p in path.split("/") if p]
    return ENDPOINTS.get(parts[-1], "unknown") if parts else "unknown"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"[]"
    headers: dict = field(default_factory=dict)


def json_reply(data, status: int = 200, next_cursor: str | None = None) -> Reply:
    headers = {"Content-Type": "application/json"}
    if next_cursor is not None:
        headers["Link"] = (f'<http://elsewhere.invalid/?&cursor=0:0:1>; rel="previous"; results="false"; '
                           f'cursor="0:0:1", <http://elsewhere.invalid/?&cursor={next_cursor}>; rel="next"; '
                           f'results="true"; cursor="{next_cursor}"')
    # allow_nan: Python's json (and so requests) reads NaN/Infinity, so a hostile server may send them
    return Reply(status, json.dumps(data, allow_nan=True).encode(), headers)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # tests hang up on purpose: routine, not a traceback
            super().handle_error(request, client_address)


class ScriptedServer:
    """Answers each request with `script(endpoint, params) -> Reply`; records (path, headers)."""

    def __init__(self, script: Callable[[str, dict], Reply] | None = None, tls: tuple[str, str] | None = None):
        self.script = script or (lambda endpoint, params: json_reply([]))
        self.seen: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stall

            def do_GET(self):
                outer.seen.append((self.path, dict(self.headers)))
                parts = urlsplit(self.path)
                reply = outer.script(endpoint_of(parts.path), parse_qs(parts.query, keep_blank_values=True))
                self.send_response_only(reply.status)
                # A scripted Date (a fake Sentry clock) replaces the real one, as a Date header comes once.
                headers = {"Date": self.date_time_string(), "Content-Length": str(len(reply.body)), **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        if tls:  # (certfile, keyfile): serve https with that certificate
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class RawServer:
    """A TCP server whose per-connection behaviour is a function of the socket: resets, trickles, junk."""

    def __init__(self, behave: Callable[[socket.socket], None], port: int = 0):
        self.behave = behave
        self.connections = 0
        self._live: set[socket.socket] = set()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        self._live.add(conn)
        try:
            conn.settimeout(5)
            self.behave(conn)
        except OSError:
            pass
        finally:
            self._live.discard(conn)
            conn.close()

    def switch(self, behave: Callable[[socket.socket], None]) -> None:
        """New behaviour for new connections; open ones are cut so pooled keep-alives cannot linger."""
        self.behave = behave
        for conn in list(self._live):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self.switch(self.behave)


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def reset_mid_body(conn: socket.socket) -> None:
    """Promise 100 kB of JSON, send a little, then RST the connection (SO_LINGER 0)."""
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[{\"id\": \"1\",")
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def trickle(seconds_per_byte: float, total_seconds: float) -> Callable[[socket.socket], None]:
    """Send headers at once, then the body one byte at a time: each read is quick, the whole never ends."""
    def behave(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[")
        deadline = time.monotonic() + total_seconds
        while time.monotonic() < deadline:
            conn.sendall(b" ")
            time.sleep(seconds_per_byte)
    return behave


def trickle_headers(seconds_per_byte: float) -> Callable[[socket.socket], None]:
    """Never finish the headers: a header line that grows one byte at a time."""
    def behave(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Padding: ")
        while True:
            conn.sendall(b"a")
            time.sleep(seconds_per_byte)
    return behave


def plain_http_to_tls(conn: socket.socket) -> None:
    """What a TLS client meets at a plain-HTTP port: an HTTP 400 instead of a ServerHello."""
    conn.recv(4096)  # the ClientHello: closing with it unread would send a RST, not the 400
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    time.sleep(0.2)


def proxy_to(port: int) -> Callable[[socket.socket], None]:
    """Behave: pass the bytes through to a well-behaved server (the simulator) on `port`."""
    def behave(conn: socket.socket) -> None:
        with socket.create_connection(("127.0.0.1", port)) as upstream:
            conn.settimeout(None)
            threading.Thread(target=_pipe, args=(upstream, conn), daemon=True).start()
            _pipe(conn, upstream)
    return behave


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def redirect_to(url: str) -> Callable[[socket.socket], None]:
    def behave(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: {url}\r\nContent-Length: 0\r\n\r\n".encode())
        time.sleep(0.2)
    return behave
