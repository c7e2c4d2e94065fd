"""Panels read what their dashboard promises (issue 20, point 14): a dashboard's $environment filters every
panel whose series have an environment, and a time-shifted panel reads data that Prometheus still keeps."""
from __future__ import annotations

import re
import time

import pytest
import yaml
from dashboard_json import LABEL_VALUES, ROOT, generated, prometheus_targets
from sentry_exporter.app import Exporter
from sentry_exporter.config import Config
from sentry_exporter.sentry.client import SentryClient
from sentry_simulator import SimulatorServer, build_demo_org
from tools import TOKEN

DASHBOARDS = generated()
SERIES = re.compile(r"\b(?P<name>sentry_\w+)\b(?P<selector>\s*\{[^}]*\})?")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@pytest.fixture(scope="module")
def with_environment():
    """Names of the series that carry an environment label, from the exporter polling the demo org with
    SENTRY_ENVIRONMENTS set (some series have one only then)."""
    org = build_demo_org(now=time.time())
    server = SimulatorServer(org, port=0, token=TOKEN)
    server.start()
    client = SentryClient(server.url, TOKEN, requests_per_second=1000, max_attempts=1)
    try:
        exporter = Exporter(Config(sentry_url=server.url, org=org.slug, token=TOKEN, releases_per_project=3,
                                   environments=("production", "staging")), client=client)
        for _ in range(2):  # counters appear from the second issues poll
            exporter.poll_once()
        return {s.name for family in exporter.registry.collect() for s in family.samples if "environment" in s.labels}
    finally:
        client.close()
        server.stop()


def test_the_environment_series_are_known(with_environment):
    assert {"sentry_issues", "sentry_issue_transitions_total", "sentry_issue_events_total",
            "sentry_monitor_status", "sentry_release_sessions", "sentry_uptime_up"} <= with_environment


@pytest.mark.parametrize("uid", sorted(uid for uid, d in DASHBOARDS.items()
                                       if any(v["name"] == "environment" for v in d["templating"]["list"])))
def test_environment_filters_every_panel_with_an_environment(uid, with_environment):
    dashboard = DASHBOARDS[uid]
    (variable,) = [v for v in dashboard["templating"]["list"] if v["name"] == "environment"]
    sources = set(re.findall(r"sentry_\w+", LABEL_VALUES.match(variable["query"])["selector"]))
    unfiltered = sorted({f"{panel['title']}: {m['name']}" for panel, target in prometheus_targets(dashboard)
                         for m in SERIES.finditer(target["expr"]) if m["name"] in with_environment
                         and '$environment"' not in (m["selector"] or "")})
    assert not unfiltered, f"$environment does not reach: {unfiltered}"
    # The variable lists the environments of every series it filters.
    filtered = {m["name"] for _, target in prometheus_targets(dashboard) for m in SERIES.finditer(target["expr"])
                if '$environment"' in (m["selector"] or "")}
    assert {name.removesuffix("_total") for name in filtered} & sources, (filtered, sources)


def seconds(duration: str) -> int:
    return sum(int(n) * UNITS[unit] for n, unit in re.findall(r"(\d+)([smhdw])", duration))


def retentions() -> dict[str, int]:
    """Prometheus' retention where this project runs it: compose's default and the image's."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    dockerfile = (ROOT / "provisioning" / "prometheus" / "Dockerfile").read_text()
    flags = [flag for service in compose["services"].values() for flag in service.get("command", [])
             if "retention.time" in str(flag)]
    found = {"compose": re.search(r":-(\w+)\}", flags[0])[1],
             "image": re.search(r"retention\.time=(\w+)", dockerfile)[1]}
    return {where: seconds(value) for where, value in found.items()}


def test_time_shifted_panels_read_inside_the_retention():
    kept = retentions()
    assert len(kept) == 2 and min(kept.values()) >= 86400
    shifted = [(uid, panel, dashboard["time"]["from"]) for uid, dashboard in DASHBOARDS.items()
               for panel, _ in prometheus_targets(dashboard) if panel.get("timeShift")]
    assert shifted
    for uid, panel, start in shifted:
        oldest = seconds(panel["timeShift"]) + seconds(start.removeprefix("now-"))
        assert oldest <= min(kept.values()), (f"{uid} / {panel['title']} reads {oldest / 86400:g} days back by "
                                              f"default; Prometheus keeps {kept}")
