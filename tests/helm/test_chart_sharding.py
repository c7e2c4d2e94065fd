"""Two shards as the chart renders them, scraped by a real Prometheus with the labels their
ServiceMonitors set, aggregate to what one unsharded exporter reports, within one request budget."""

from __future__ import annotations

import json
import re
import subprocess
import time

import requests
import yaml

from helmchart import DASHBOARDS_DIR, RELEASES, VARIANTS, merge, one, render
from podrun import Pod
from tools import at_test_speed, free_port, require_tool, sample_values, stop_process, wait_for

FAST = {"settings": {"SENTRY_POLL_INTERVAL_SECONDS": 1, "SENTRY_STATS_INTERVAL_SECONDS": 1,
                     "SENTRY_QUOTA_BUDGETS": "error=100000,transaction=500000"}}
# Panels that read series every shard exposes (projects polled, the budget): they must aggregate
# across shards instead of picking one shard's or matching two.
SHARD_PANELS = [("sentry-exporter-health", "Projects polled"), ("sentry-quota", "Quota budget used")]
RATE_TOLERANCE = 0.5  # a rate extrapolates from when each series began (scrape timing); double counting is 100 % off


class Prometheus:
    """A real Prometheus loading the rendered PrometheusRule and scraping `targets` every second."""

    def __init__(self, workdir, rule_groups: list[dict], targets: list[tuple[str, dict]]):
        workdir.mkdir(parents=True)
        (workdir / "rules.yml").write_text(yaml.safe_dump({"groups": at_test_speed(rule_groups)}))
        jobs = {}
        for address, labels in targets:
            job = labels["job"]
            static = {"targets": [address], "labels": {k: v for k, v in labels.items() if k != "job"}}
            jobs.setdefault(job, {"job_name": job, "static_configs": []})["static_configs"].append(static)
        config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
                  "rule_files": [str(workdir / "rules.yml")], "scrape_configs": list(jobs.values())}
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([require_tool("prometheus"), f"--config.file={workdir / 'prometheus.yml'}",
                                      f"--storage.tsdb.path={workdir / 'data'}",
                                      f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: requests.get(f"{self.url}/-/ready", timeout=2).status_code == 200, 30, what="prometheus")

    def query(self, promql: str, at: float) -> dict[tuple, float]:
        body = requests.get(f"{self.url}/api/v1/query", params={"query": promql, "time": at}, timeout=10).json()
        assert body["status"] == "success", body
        return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in body["data"]["result"]}

    def stop(self) -> None:
        stop_process(self.proc)


def scrape_labels(objects: list[dict]) -> dict[str, str]:
    """The target labels a ServiceMonitor gives: job from its jobLabel, then its targetLabels."""
    monitor, service = one(objects, "ServiceMonitor")["spec"], one(objects, "Service")["metadata"]["labels"]
    return {"job": service[monitor["jobLabel"]], **{name: service[name] for name in monitor.get("targetLabels", [])}}


def recording_rules(groups: list[dict]) -> dict[str, bool]:
    """{recorded name: whether it is exact}, thresholds left out. A rule over a range (rate,
    increase) depends on scrape timing, and so does every rule that reads one."""
    exprs: dict[str, str] = {}
    for rule in (r for g in groups for r in g["rules"] if "record" in r and not r["record"].startswith("config:")):
        exprs[rule["record"]] = exprs.get(rule["record"], "") + rule["expr"]
    timed = {name for name, expr in exprs.items() if "[" in expr}
    while grown := {n for n, e in exprs.items() if n not in timed and any(t in e for t in timed)}:
        timed |= grown
    return {name: name not in timed for name in exprs}


def panel_query(dashboard: str, title: str) -> str:
    """A generated dashboard panel's query, its template variables at Grafana's All (`.*`)."""
    board = json.loads((DASHBOARDS_DIR / f"{dashboard}.json").read_text(encoding="utf-8"))
    panel = next(p for row in board["panels"] for p in (row, *row.get("panels", [])) if p["title"] == title)
    (target,) = panel["targets"]
    return re.sub(r"\$\{?\w+\}?", ".*", target["expr"])


def events_by_project(pods: list[Pod]) -> dict:
    totals: dict = {}
    for pod in pods:
        exposition = pod.get(pod.port("http"), "/metrics").text
        for labels, value in sample_values(exposition, "sentry_issue_events_total").items():
            project = dict(labels)["project"]
            totals[project] = totals.get(project, 0) + value
    return totals


def test_two_shards_aggregate_like_one_exporter_within_the_shared_budget(make_sim, default_org, tmp_path):
    org = default_org()
    _, shared = make_sim(org)      # the shards' Sentry: one token, one budget
    _, alone = make_sim(org)       # the same org for the unsharded reference
    shards = {v: render(merge(merge(VARIANTS[v], FAST), {"service": {"port": free_port()}}), name=RELEASES[v])
              for v in ("shard-a", "shard-b")}
    single = render(merge(merge(VARIANTS["defaults"], FAST), {"service": {"port": free_port()}}))
    groups = one(shards["shard-a"], "PrometheusRule")["spec"]["groups"]
    assert groups == one(single, "PrometheusRule")["spec"]["groups"]

    pods, reference, proms = [], None, []
    try:
        pods = [Pod.start(objects, tmp_path / v, shared.url) for v, objects in shards.items()]
        reference = Pod.start(single, tmp_path / "single", alone.url)
        for pod in (*pods, reference):
            pod.wait_ready()
        sharded = Prometheus(tmp_path / "prom-sharded", groups,
                             [(f"127.0.0.1:{p.port('http')}", scrape_labels(p.objects)) for p in pods])
        unsharded = Prometheus(tmp_path / "prom-single", groups,
                               [(f"127.0.0.1:{reference.port('http')}", scrape_labels(single))])
        proms = [sharded, unsharded]
        budget_start, sent_before = time.time(), len(shared.request_log)

        # Events keep arriving in every project, so that the rates have something to show.
        first_issue = {}
        for issue in org.issues.values():
            if issue.status == "unresolved" and issue.level == "error":
                first_issue.setdefault(issue.project.id, issue.id)
        for _ in range(8):
            now = time.time()
            for project_id, issue_id in first_issue.items():
                org.record_events(issue_id, 25, at=now)
                org.record_outcome(project_id, "error", "accepted", 40, at=now)
            time.sleep(2)
        wait_for(lambda: events_by_project(pods) == events_by_project([reference]) != {}, 60,
                 what="shards and the unsharded exporter to see the same events")
        budget_seconds = time.time() - budget_start
        requests_sent = len(shared.request_log) - sent_before
        time.sleep(4)  # a few more scrapes and rule evaluations of the settled counters

        at = time.time() - 1
        rules = recording_rules(groups)
        assert any(rules.values()) and not all(rules.values())
        for record, exact in rules.items():
            got, want = sharded.query(record, at), unsharded.query(record, at)
            assert got.keys() == want.keys(), f"{record}: the shards give other series than one exporter"
            for labels, value in want.items():
                tolerance = 1e-9 if exact else RATE_TOLERANCE
                assert abs(got[labels] - value) <= tolerance * max(abs(value), 1e-9), (record, labels, got, want)
        for dashboard, title in SHARD_PANELS:
            expr = panel_query(dashboard, title)
            got, want = sharded.query(expr, at), unsharded.query(expr, at)
            assert want and got == want, f"{dashboard} / {title}: {expr} gives {got} for two shards, {want} for one"
        accepted = sharded.query("category:sentry_events_accepted:sum", at)
        assert accepted and all(v > 0 for v in accepted.values())
        assert sharded.query('count by (job) (up{job="sentry-exporter"})', at) == {(("job", "sentry-exporter"),): 2}
        assert set(sharded.query("sum by (shard) (up)", at)) == {(("shard", "a"),), (("shard", "b"),)}
        # Shards split the projects, not the org: both serve it under the one org label.
        assert sharded.query("count by (org) (sentry_up)", at) == {(("org", org.slug),): 2}

        # The shards' demand exceeds the budget, so the shared budget is what bounds their rate.
        budget = VARIANTS["shard-a"]["shard"]["sharedRequestsPerSecond"]
        rate = requests_sent / budget_seconds
        assert 0.5 * budget < rate <= 1.1 * budget, f"{rate:.2f} requests/s for a budget of {budget}"
    finally:
        for prom in proms:
            prom.stop()
        for pod in (*pods, *([reference] if reference else [])):
            pod.stop()
