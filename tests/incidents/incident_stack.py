"""An incident, replayed end to end: the simulator (changed through its control route) -> the real
exporter process -> a real Prometheus with a test copy of the project's rules -> a real Alertmanager
with the rendered configuration -> the test webhook. A scenario asserts who is paged, when, with
which labels, and exactly once.

The test copy differs from the shipped rules in two ways only: every alert's `for:` is 1s, and no group
keeps its own `interval:` (tools.at_test_speed), so that a scenario takes seconds (promtool tests cover
the real durations, tests/rules/test_rule_intervals.py the real cadence). `shortened()` makes the copy and
`differences()` proves it changed nothing else; test_harness.py runs that check on every rule file.
Prometheus scrapes and evaluates every second (alerting_stack.prometheus), Alertmanager groups with
1s timers (test_alerting_e2e.fast).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from alerting_stack import alertmanager, prometheus
from incident_control import PREFIX, control
from receiver import Webhook
from rules_support import RULE_FILES, render_to
from sentry_simulator import SimulatorServer
from sentry_simulator.model import Org
from test_alerting_e2e import fast
from tools import TOKEN, ExporterProcess, at_test_speed, wait_for

SHORT_FOR = "1s"
# SentryExporterDown keeps a longer `for:`: its absent() before the first scrape must not fire and
# inhibit the data alerts of a scenario.
KEPT_LONGER = {"SentryExporterDown": "60s"}
TEAMS = ("team-c",)


def shortened(content: dict) -> dict:
    """A rule file with every alert's `for:` shortened and every group at the test's evaluation interval;
    nothing else changes."""
    content = copy.deepcopy(content)
    content["groups"] = at_test_speed(content["groups"])
    for group in content["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = KEPT_LONGER.get(rule["alert"], SHORT_FOR)
    return content


def differences(original: dict, copy_: dict) -> list[str]:
    """Every change of the copy beyond an alert's `for:` and a group's `interval:` (empty when the rewrite
    is faithful)."""
    found = []
    groups, copied = original["groups"], copy_["groups"]
    if [g["name"] for g in groups] != [g["name"] for g in copied]:
        return ["the groups differ"]
    for group, other in zip(groups, copied):
        if {k: v for k, v in group.items() if k not in ("rules", "interval")} != \
                {k: v for k, v in other.items() if k not in ("rules", "interval")}:
            found.append(f"group {group['name']}: settings differ")
        if "interval" in other:
            found.append(f"group {group['name']}: keeps its own interval")
        if len(group["rules"]) != len(other["rules"]):
            found.append(f"group {group['name']}: rule count differs")
            continue
        for rule, new in zip(group["rules"], other["rules"]):
            name = rule.get("alert") or rule.get("record")
            if {k: v for k, v in rule.items() if k != "for"} != {k: v for k, v in new.items() if k != "for"}:
                found.append(f"{name}: changed beyond for")
            if "alert" in rule and new.get("for") != KEPT_LONGER.get(name, SHORT_FOR):
                found.append(f"{name}: for is {new.get('for')!r}")
    return found


def write_rules(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for path in RULE_FILES:
        original = yaml.safe_load(path.read_text())
        copied = shortened(original)
        assert differences(original, copied) == [], differences(original, copied)
        paths.append(directory / path.name)
        paths[-1].write_text(yaml.safe_dump(copied, sort_keys=False))
    return paths


class Incident:
    """One scenario's whole stack; `with Incident(tmp_path, org, **exporter_env) as incident:`."""

    def __init__(self, workdir: Path, org: Org, **exporter_env: str):
        self.workdir, self.org, self.exporter_env = workdir, org, exporter_env
        self.webhook = Webhook()
        self._started: list = []

    def __enter__(self) -> "Incident":
        try:
            self.sim = SimulatorServer(self.org, token=TOKEN, control=control(self.org)).start()
            self._started.append(self.sim)
            env = {"SENTRY_URL": self.sim.url, "SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": self.org.slug,
                   "SENTRY_POLL_INTERVAL_SECONDS": "1", "SENTRY_IMPACT_INTERVAL_SECONDS": "1",
                   "SENTRY_RECONCILE_INTERVAL_SECONDS": "0", "SENTRY_TIMEOUT_SECONDS": "5",
                   "LOG_LEVEL": "warning", **self.exporter_env}
            self.exporter = ExporterProcess(env)
            self._started.append(self.exporter)
            self.exporter.wait_ready()
            am_env = {"ALERT_WEBHOOK_URL": self.webhook.url + "/default",
                      "ALERT_WATCHDOG_WEBHOOK_URL": self.webhook.url + "/watchdog", "ALERT_TEAMS": ",".join(TEAMS),
                      **{f"ALERT_TEAM_{t.upper().replace('-', '_')}_WEBHOOK_URL": f"{self.webhook.url}/{t}"
                         for t in TEAMS}}
            config = fast(yaml.safe_load(render_to(self.workdir, am_env).read_text()))
            am = alertmanager(self.workdir / "alertmanager", config)
            self._started.append(am)
            self.prometheus = prometheus(self.workdir / "prometheus", self.exporter.url, am.url,
                                         write_rules(self.workdir / "rules"))
            self._started.append(self.prometheus)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self._started):
            process.stop()
        self.webhook.close()

    # ---- driving the simulator, through its control route

    def act(self, action: str, **params) -> dict:
        response = requests.get(f"{self.sim.url}{PREFIX}{action}", params=params, timeout=5)
        assert response.ok, response.text
        return response.json()

    def issue(self, project: str, level: str = "error") -> dict:
        return self.act("issue", project=project, level=level)

    def events(self, issue: dict, n: int = 1, **tags: str) -> None:
        self.act("events", issue=issue["id"], n=n, tags=",".join(f"{k}:{v}" for k, v in tags.items()))

    def assign(self, issue: dict, team: str = "") -> None:
        self.act("assign", issue=issue["id"], team=team)

    # ---- observing

    def query(self, promql: str) -> list[dict]:
        response = requests.get(self.prometheus.url + "/api/v1/query", params={"query": promql}, timeout=5)
        response.raise_for_status()
        return response.json()["data"]["result"]

    def until(self, promql: str, timeout: float = 30) -> list[dict]:
        """Wait until Prometheus has a result for `promql` (the exporter has polled and been scraped)."""
        return wait_for(lambda: self.query(promql), timeout=timeout, what=promql)

    def pages(self, alertname: str) -> list["Page"]:
        """Every distinct firing notification of `alertname`: one per (receiver, alert identity, start).
        A re-sent notification of the same alert is the same page; a restarted alert is a new one."""
        seen: dict[tuple, Page] = {}
        for request in self.webhook.received():
            if request.path == "/watchdog":
                continue
            notification = request.json()
            for alert in notification["alerts"]:
                if alert["labels"].get("alertname") == alertname and alert["status"] == "firing":
                    key = (notification["receiver"], alert["fingerprint"], alert["startsAt"])
                    seen.setdefault(key, Page(notification["receiver"], request.path, alert["labels"],
                                              alert["annotations"], alert["startsAt"]))
        return list(seen.values())

    def paged(self, alertname: str, timeout: float = 40, **labels: str) -> "Page":
        """The first page of `alertname` with these labels, waited for."""
        def match():
            return next((p for p in self.pages(alertname)
                         if all(p.labels.get(k) == v for k, v in labels.items())), None)
        return wait_for(match, timeout=timeout, interval=0.25, what=f"a page of {alertname} {labels}")

    def quiet(self, seconds: float) -> None:
        """Let the pipeline run: long enough for a page that is due to arrive (1s scrapes, evaluations
        and Alertmanager timers, with margin for a loaded machine)."""
        time.sleep(seconds)


@dataclass(frozen=True)
class Page:
    receiver: str
    path: str
    labels: dict
    annotations: dict
    starts_at: str
