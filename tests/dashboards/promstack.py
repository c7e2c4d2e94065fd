"""A real Prometheus scraping the real exporter in demo mode, and Grafana-like query evaluation."""
from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml
from dashboard_json import LABEL_VALUES, ROOT
from tools import ExporterProcess, at_test_speed, free_port, stop_process, wait_for

RULES = sorted((ROOT / "provisioning" / "prometheus" / "rules").glob("*.rules.yml"))
# The one line of the rules that names the exporter's scrape job (docs/own-stack.md: "Add it to your existing
# Prometheus and Grafana").
JOB_LINE = "labels: {job: sentry-exporter}"
# What Grafana would put in for its built-in variables on a short, freshly started test window.
BUILTINS = {"__rate_interval": "30s", "__interval": "5s", "__range": "5m"}
RANGE_SECONDS, RANGE_STEP = 60, 2
GRAFANA_REGEX_SPECIALS = re.compile(r"[\\^$*+?.()|\[\]{}/]")


@dataclass
class Prometheus:
    url: str
    proc: subprocess.Popen

    def api(self, path: str, **params) -> list | dict:
        body = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10).json()
        if body["status"] != "success":
            raise QueryError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def instant(self, expr: str) -> list:
        return self.api("query", query=expr, time=time.time())["result"]

    def range(self, expr: str) -> list:
        now = time.time()
        return self.api("query_range", query=expr, start=now - RANGE_SECONDS, end=now, step=RANGE_STEP)["result"]

    def run(self, target: dict) -> list:
        """A dashboard target the way Grafana sends it: instant or range."""
        return self.instant(target["expr"]) if target.get("instant") else self.range(target["expr"])

    def stop(self):
        stop_process(self.proc)


class QueryError(AssertionError):
    pass


def start_exporter_demo() -> ExporterProcess:
    # Short intervals so that counters move and pollers repeat within the test.
    return ExporterProcess({"SENTRY_DEMO": "1", "SENTRY_POLL_INTERVAL_SECONDS": "2",
                            "SENTRY_STATS_INTERVAL_SECONDS": "2"}).wait_ready()


def rules_for_job(job: str, workdir: Path) -> list[Path]:
    """The project's rule files, changed as docs/own-stack.md tells someone whose Prometheus scrapes the
    exporter under another job name: on one line."""
    texts = {path.name: path.read_text() for path in RULES}
    assert sum(text.count(JOB_LINE) for text in texts.values()) == 1, f"{JOB_LINE!r} is not in the rules once"
    (workdir / "rules").mkdir()
    copies = [workdir / "rules" / name for name in texts]
    for copy in copies:
        groups = yaml.safe_load(texts[copy.name].replace(JOB_LINE, f"labels: {{job: {job}}}"))["groups"]
        copy.write_text(yaml.safe_dump({"groups": at_test_speed(groups)}, sort_keys=False))
    return copies


def start_prometheus(binary: str, workdir: Path, exporter_ports: list[int], job: str, rules: list[Path]) -> Prometheus:
    """Prometheus scraping the exporters every second as `job`, with these rule files loaded."""
    rule_files = "".join(f"  - {path}\n" for path in rules)
    targets = ", ".join(f"'127.0.0.1:{port}'" for port in exporter_ports)
    config = workdir / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n{rule_files}"
        f"scrape_configs:\n  - job_name: {job}\n"
        f"    static_configs:\n      - targets: [{targets}]\n"
    )
    port = free_port()
    log = (workdir / "prometheus.log").open("w")
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    prometheus = Prometheus(f"http://127.0.0.1:{port}", proc)

    def ready():
        if proc.poll() is not None:
            raise AssertionError(f"prometheus exited: {(workdir / 'prometheus.log').read_text()}")
        return requests.get(f"{prometheus.url}/-/ready", timeout=2).status_code == 200

    wait_for(ready, 30, what="prometheus /-/ready")
    return prometheus


def grafana_regex(values: list[str]) -> str:
    """How Grafana renders a multi-value/All selection into a Prometheus regex matcher."""
    escaped = [GRAFANA_REGEX_SPECIALS.sub(lambda m: "\\" + m.group(0), v) for v in values]
    rendered = "(" + "|".join(escaped) + ")" if len(escaped) > 1 else escaped[0]
    return rendered.replace("\\", "\\\\")  # inside a PromQL double-quoted string


def substitute(expr: str, variables: dict[str, str]) -> str:
    values = {**BUILTINS, **variables}

    def replace(match):
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"no value for ${name} in {expr}")
        return values[name]

    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", replace, expr)


def resolve_variables(prometheus: Prometheus, dashboard: dict,
                      chosen: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Values for the dashboard's variables as Grafana's "All" would pick them from label_values(), except
    those `chosen` ({name: one value}), as a user picks one org.

    Returns (values, how) where how[name] is "values" when real label values were found, "allValue"
    when none exist and the variable's All value stands in, or "none" (then `.*`, so queries still run).
    """
    values, how = {}, {}
    now = time.time()
    for var in (v for v in dashboard["templating"]["list"] if v["type"] == "query"):
        if var["name"] in (chosen or {}):
            values[var["name"]], how[var["name"]] = grafana_regex([chosen[var["name"]]]), "chosen"
            continue
        match = LABEL_VALUES.match(var["query"])
        selector = substitute(match["selector"], values)
        series = prometheus.api("series", **{"match[]": selector, "start": now - 600, "end": now})
        found = sorted({s[match["label"]] for s in series if match["label"] in s})
        if found:
            values[var["name"]], how[var["name"]] = grafana_regex(found), "values"
        elif "allValue" in var:
            values[var["name"]], how[var["name"]] = var["allValue"], "allValue"
        else:
            values[var["name"]], how[var["name"]] = ".*", "none"
    return values, how
