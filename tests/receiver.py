"""A real HTTP server on 127.0.0.1 that records what is POSTed to it: it stands in for Tempo and Loki,
and, as a Webhook, for the receivers Alertmanager notifies."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Receiver:
    def __init__(self, status: int = 204, delay: float = 0.0) -> None:
        self.requests: list[Request] = []
        self.arrived = threading.Event()  # set when a request body has been read (before any delay)
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.arrived.set()
                time.sleep(delay)
                with receiver._cond:
                    receiver.requests.append(Request(self.path, dict(self.headers), body))
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def received(self) -> list[Request]:
        with self._cond:
            return list(self.requests)

    def wait_for(self, predicate, timeout: float = 10.0) -> list[Request]:
        """Wait until predicate(requests) is true; return the requests either way."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.requests) and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self.requests)

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


class Webhook(Receiver):
    """Alertmanager's webhook receiver, started at once; close() it."""

    def __init__(self) -> None:
        super().__init__(status=200)
        self.start()

    def alerts(self, path: str, alertname: str) -> list[tuple[dict, dict]]:
        """(notification, alert) for every firing alert of that name posted to that path."""
        notifications = [r.json() for r in self.received() if r.path == path]
        return [(n, a) for n in notifications
                for a in n["alerts"] if a["labels"].get("alertname") == alertname and a["status"] == "firing"]
