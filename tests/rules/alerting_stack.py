"""Real Prometheus and Alertmanager processes on loopback, and a webhook that records notifications."""
from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import yaml

from tools import free_port, require_tool, stop_process, wait_for


class Webhook:
    """Alertmanager webhook receiver: keeps every (path, payload) it is sent."""

    def __init__(self):
        self.notifications: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with webhook._lock:
                    webhook.notifications.append((self.path, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def alerts(self, path: str, alertname: str) -> list[tuple[dict, dict]]:
        """(notification, alert) for every firing alert of that name posted to that path."""
        with self._lock:
            return [(n, a) for p, n in self.notifications if p == path
                    for a in n["alerts"] if a["labels"].get("alertname") == alertname and a["status"] == "firing"]

    def close(self):
        self._server.shutdown()
        self._server.server_close()


class Process:
    """A real server binary on a free loopback port, stopped (and its output kept) at the end."""

    def __init__(self, tool: str, args: list[str], workdir: Path, ready_path: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{tool}.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([require_tool(tool), *args, f"--web.listen-address=127.0.0.1:{self.port}"],
                                         stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
        wait_for(lambda: self._alive() and requests.get(self.url + ready_path, timeout=2).ok,
                 timeout=30, what=f"{tool} {ready_path}")

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
        return True

    def stop(self):
        stop_process(self.proc)


def alertmanager(workdir: Path, config: dict) -> Process:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    return Process("prometheus-alertmanager", [f"--config.file={path}", f"--storage.path={workdir / 'data'}",
                                               "--cluster.listen-address="], workdir, "/-/ready")


def prometheus(workdir: Path, exporter_url: str, alertmanager_url: str, rule_files: list[Path]) -> Process:
    workdir.mkdir(parents=True, exist_ok=True)
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [{"job_name": "sentry-exporter",
                            "static_configs": [{"targets": [exporter_url.removeprefix("http://")]}]}],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager_url.removeprefix("http://")]}]}]},
    }
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    # Alerts that fire before the notifier has found Alertmanager are dropped until the next resend.
    return Process("prometheus", [f"--config.file={path}", f"--storage.tsdb.path={workdir / 'data'}",
                                  "--rules.alert.resend-delay=2s"], workdir, "/-/ready")
