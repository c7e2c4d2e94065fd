"""Real Prometheus and Alertmanager processes on loopback (the webhook they notify is receiver.Webhook)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import requests
import yaml

from tools import free_port, require_tool, stop_process, wait_for


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

    def query(self, expr: str) -> list[dict]:
        """An instant query's result (Prometheus' HTTP API)."""
        answer = requests.get(self.url + "/api/v1/query", params={"query": expr}, timeout=5).json()
        assert answer["status"] == "success", answer
        return answer["data"]["result"]


def alertmanager(workdir: Path, config: dict) -> Process:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    return Process("prometheus-alertmanager", [f"--config.file={path}", f"--storage.path={workdir / 'data'}",
                                               "--cluster.listen-address="], workdir, "/-/ready")


def prometheus(workdir: Path, exporter_url: str | list[str], alertmanager_url: str, rule_files: list[Path]) -> Process:
    """Scraping one exporter, or several as targets of one job (shards, or orgs sharing a Prometheus)."""
    workdir.mkdir(parents=True, exist_ok=True)
    urls = [exporter_url] if isinstance(exporter_url, str) else exporter_url
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [{"job_name": "sentry-exporter",
                            "static_configs": [{"targets": [url.removeprefix("http://") for url in urls]}]}],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager_url.removeprefix("http://")]}]}]},
    }
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    # Alerts that fire before the notifier has found Alertmanager are dropped until the next resend.
    return Process("prometheus", [f"--config.file={path}", f"--storage.tsdb.path={workdir / 'data'}",
                                  "--rules.alert.resend-delay=2s"], workdir, "/-/ready")
