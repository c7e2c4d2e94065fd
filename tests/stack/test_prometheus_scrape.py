"""The real Prometheus (Debian's 2.42) runs the shipped config and flags against the real
`sentry-exporter --demo`, with the scrape targets rewritten to loopback and the other jobs dropped."""

from __future__ import annotations

import copy
import subprocess
import time

import pytest
import requests

from promconfig import image_flags, localize, write
from stackfiles import prometheus_config
from tools import ExporterProcess, free_port, require_tool, stop_process, wait_for


def loopback_config(exporter_port: int, prometheus_port: int) -> dict:
    config = copy.deepcopy(prometheus_config())
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config.pop("alerting")  # nothing to deliver to here
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    jobs["sentry-exporter"]["static_configs"][0]["targets"] = [f"127.0.0.1:{exporter_port}"]
    jobs["prometheus"]["static_configs"][0]["targets"] = [f"127.0.0.1:{prometheus_port}"]
    config["scrape_configs"] = [jobs["sentry-exporter"], jobs["prometheus"]]
    return config


class Prometheus:
    def __init__(self, tmp_path, exporter_port: int, token: str = ""):
        self.port = free_port()
        config = write(localize(loopback_config(exporter_port, self.port), tmp_path, token), tmp_path / "prometheus.yml")
        flags = [f for f in image_flags() if not f.startswith(("--config.file", "--storage.tsdb.path", "--web.listen"))]
        self.proc = subprocess.Popen(
            [require_tool("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def query(self, promql: str) -> list:
        if self.proc.poll() is not None:
            raise AssertionError(f"prometheus exited with {self.proc.returncode}: {self.proc.stderr.read()[-2000:]}")
        resp = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        resp.raise_for_status()
        return resp.json()["data"]["result"]

    def value(self, promql: str) -> float | None:
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> str:
        return stop_process(self.proc)[1]


@pytest.fixture
def run_stack(tmp_path):
    started = []

    def start(exporter_env: dict[str, str], token: str = ""):
        exporter = ExporterProcess({"SENTRY_DEMO": "1", **exporter_env})
        started.append(exporter)
        exporter.wait_ready()
        prometheus = Prometheus(tmp_path / f"run{len(started)}", exporter.port, token)
        started.append(prometheus)
        wait_for(lambda: prometheus.query("vector(1)") and requests.get(f"{prometheus.url}/-/ready", timeout=2).ok,
                 30, what="prometheus ready")
        return exporter, prometheus

    yield start
    for process in reversed(started):
        process.stop()


def test_prometheus_scrapes_the_demo_exporter_with_the_shipped_config(run_stack):
    _, prometheus = run_stack({})
    wait_for(lambda: prometheus.value('up{job="sentry-exporter"}') == 1, 30, what='up{job="sentry-exporter"} == 1')
    assert prometheus.value('sentry_exporter_demo{job="sentry-exporter"}') == 1
    # each job has its own scrape schedule: Prometheus' self-scrape may come a moment later
    wait_for(lambda: prometheus.value('up{job="prometheus"}') == 1, 30, what='up{job="prometheus"} == 1')
    # the image's flags store exemplars: the poll counter's trace ids reach Prometheus (metric → trace)
    def exemplars():
        now = time.time()
        data = requests.get(f"{prometheus.url}/api/v1/query_exemplars", timeout=5, params={
            "query": 'sentry_polls_total{result="success"}', "start": now - 300, "end": now}).json()["data"]
        return [e["labels"]["trace_id"] for series in data for e in series["exemplars"]]
    trace_ids = wait_for(exemplars, 30, what="exemplars of sentry_polls_total")
    assert all(len(t) == 32 and int(t, 16) >= 0 for t in trace_ids)
    groups = requests.get(f"{prometheus.url}/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert groups, "the rule files glob loaded nothing"
    assert not [r for g in groups for r in g["rules"] if r.get("health") == "err"]


def test_the_documented_bearer_token_path_authenticates_the_scrape(run_stack):
    _, prometheus = run_stack({"EXPORTER_BEARER_TOKEN": "scrape-token-123"}, token="scrape-token-123")
    _, wrong = run_stack({"EXPORTER_BEARER_TOKEN": "scrape-token-123"}, token="not-the-token")
    wait_for(lambda: prometheus.value('up{job="sentry-exporter"}') == 1, 30, what="authenticated scrape")
    wait_for(lambda: wrong.value('up{job="sentry-exporter"}') == 0, 30, what="rejected scrape")
