"""Incidents replayed end to end: simulator -> real exporter -> real Prometheus with the shipped rules ->
real Alertmanager -> a webhook.  Each promise has a control that must page.

Unlike incident_stack.Incident (one org), two orgs, each with its own simulator and exporter, scraped as
two targets of one job (as two shards or two orgs sharing a Prometheus).  Both have a 1-minute cron whose latest check-in deadline passes during the test.
Then, in order:

1. a monitors outage at beta (its monitors endpoint answers 503): acme's cron pages as missed, beta's does not;
   beta's stale monitors data is reported once instead;
2. beta's exporter stops: SentryExporterDown for beta, and acme's alerts still arrive (one shard down does not
   silence the other);
3. acme's project `limited` gets rate-limited while its project `sampled` keeps 10 % of its transactions by
   Dynamic Sampling: only `limited` pages.

The test copy of the rules differs from the shipped ones by `for:` (1s), by no group keeping its own
`interval:` (tools.at_test_speed), and by the thresholds that would otherwise take minutes (REWRITTEN); `test_the_rewrite_touches_only_for_and_those_thresholds` checks that.
"""
from __future__ import annotations

import math
import time

import pytest
import yaml

from alerting_stack import alertmanager, prometheus
from receiver import Webhook
from rules_support import RULE_FILES, render_to
from sentry_simulator import SimulatorServer, build_org
from test_alerting_e2e import fast
from tools import TOKEN, ExporterProcess, at_test_speed, wait_for

# threshold -> test value: a cron 5 s past its deadline is missed; data is stale after 5 s without success.
REWRITTEN = {"cron_overdue_seconds": 5, "data_stale_seconds": 5}
FAST_POLLS = {"SENTRY_POLL_INTERVAL_SECONDS": "1", "SENTRY_STATS_INTERVAL_SECONDS": "1",
              "SENTRY_MONITORS_INTERVAL_SECONDS": "1", "SENTRY_RECONCILE_INTERVAL_SECONDS": "0",
              "SENTRY_TIMEOUT_SECONDS": "3"}


def rewrite(content: dict) -> dict:
    content["groups"] = at_test_speed(content["groups"])
    for group in content["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                rule["for"] = "1s"
            threshold = rule.get("labels", {}).get("threshold")
            if rule.get("record") == "config:sentry_alert_threshold:value" and threshold in REWRITTEN:
                rule["expr"] = f"vector({REWRITTEN[threshold]})"
    return content


def rules_copy(directory) -> list:
    directory.mkdir()
    paths = []
    for path in RULE_FILES:
        paths.append(directory / path.name)
        paths[-1].write_text(yaml.safe_dump(rewrite(yaml.safe_load(path.read_text())), sort_keys=False))
    return paths


def test_the_rewrite_touches_only_for_and_those_thresholds():
    for path in RULE_FILES:
        shipped, copied = yaml.safe_load(path.read_text()), rewrite(yaml.safe_load(path.read_text()))
        for group, copy_group in zip(shipped["groups"], copied["groups"]):
            for rule, copy_rule in zip(group["rules"], copy_group["rules"]):
                changed = {k for k in rule.keys() | copy_rule.keys() if rule.get(k) != copy_rule.get(k)}
                threshold = rule.get("labels", {}).get("threshold")
                allowed = {"for"} if "alert" in rule else {"expr"} if threshold in REWRITTEN else set()
                assert changed <= allowed, (rule.get("alert") or rule.get("record"), changed)


def org_with_a_cron(slug: str, deadline: float):
    """An org whose 1-minute cron `nightly` checked in last so that its latest deadline is `deadline`
    (a minute boundary: the simulator puts it at the next slot after the check-in, plus a minute's margin).
    Its first project has had a little rate limiting and its second a little Dynamic Sampling two hours ago,
    so those counters exist before the incidents (a series born at its value has no increase)."""
    org = build_org(slug=slug, projects=2, unresolved=5, resolved=0, seed=3)
    first, second = list(org.projects.values())[:2]
    org.add_monitor("nightly", first, interval_minutes=1, created=deadline - 3600)
    org.record_checkin("nightly", "ok", at=deadline - 120)
    org.record_outcome(first.id, "error", "rate_limited", 1, at=time.time() - 7200, reason="key_quota")
    org.record_outcome(second.id, "transaction", "filtered", 1, at=time.time() - 7200, reason="Sampled:1004")
    return org, first


class Stack:
    def __init__(self, tmp):
        self.webhook = Webhook()
        self.started = []
        deadline = math.ceil((time.time() + 20) / 60) * 60  # late enough for both exporters to poll fresh data
        self.deadline = deadline
        self.sims, self.exporters, self.projects = {}, {}, {}
        for slug in ("acme", "beta"):
            org, project = org_with_a_cron(slug, deadline)
            self.sims[slug] = SimulatorServer(org, host="127.0.0.1", port=0, token=TOKEN).start()
            self.started.append(self.sims[slug])
            self.projects[slug] = project
            self.exporters[slug] = ExporterProcess({"SENTRY_URL": self.sims[slug].url, "SENTRY_AUTH_TOKEN": TOKEN,
                                                    "SENTRY_ORG": slug, **FAST_POLLS})
            self.started.append(self.exporters[slug])
        for exporter in self.exporters.values():
            exporter.wait_ready()
        env = {"ALERT_WEBHOOK_URL": self.webhook.url + "/hook"}
        self.am = alertmanager(tmp / "alertmanager", fast(yaml.safe_load(render_to(tmp, env).read_text())))
        self.started.append(self.am)
        self.prom = prometheus(tmp / "prometheus", [e.url for e in self.exporters.values()], self.am.url,
                               rules_copy(tmp / "rules"))
        self.started.append(self.prom)

    def instance(self, slug: str) -> str:
        return self.exporters[slug].url.removeprefix("http://")

    def alerts(self, alertname: str, **labels) -> list[dict]:
        return [a for _, a in self.webhook.alerts("/hook", alertname)
                if all(a["labels"].get(k) == v for k, v in labels.items())]

    def stop_exporter(self, slug: str) -> None:
        self.started.remove(self.exporters[slug])
        self.exporters[slug].stop()

    def close(self):
        for process in reversed(self.started):
            process.stop()
        self.webhook.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("scenarios"))
    try:
        yield s
    finally:
        s.close()


def once(alerts: list[dict]) -> dict:
    """The alert, notified as one incident: every notification of it has the same start."""
    assert len({a["startsAt"] for a in alerts}) == 1, alerts
    return alerts[0]


def org_of(alert: dict, slug: str) -> None:
    """With the exporter's org label (issue 20, point 7) the alert names its org."""
    assert alert["labels"]["org"] == slug, alert["labels"]


def test_a_real_missed_checkin_pages_while_a_monitors_outage_does_not(stack):
    beta = stack.instance("beta")
    # Both exporters have polled the monitors before the outage starts.
    wait_for(lambda: all('poller="monitors"' in e.metrics() and "sentry_monitor_next_checkin_latest" in e.metrics()
                         for e in stack.exporters.values()), timeout=30, what="a monitors poll on both exporters")
    stack.sims["beta"].faults.set(status=503, endpoint="monitors")
    stale = wait_for(lambda: stack.alerts("SentryDataStale", poller="monitors", instance=beta), timeout=60,
                     what="beta's stale monitors data reported")
    missed = wait_for(lambda: stack.alerts("SentryCronMissed", instance=stack.instance("acme")),
                      timeout=stack.deadline + REWRITTEN["cron_overdue_seconds"] + 60 - time.time(),
                      what="acme's missed cron paged")
    time.sleep(5)  # beta's kept deadline is as far past as acme's: had it paged, it would be here by now
    assert stack.alerts("SentryCronMissed", instance=beta) == []
    alert = once(stack.alerts("SentryCronMissed", instance=stack.instance("acme")))
    assert alert["labels"]["monitor"] == "nightly" and alert["labels"]["severity"] == "critical"
    org_of(alert, "acme")
    assert missed and stale
    org_of(once(stack.alerts("SentryDataStale", poller="monitors", instance=beta)), "beta")


def test_one_shard_down_does_not_silence_the_other(stack):
    stack.stop_exporter("beta")
    down = wait_for(lambda: stack.alerts("SentryExporterDown", instance=stack.instance("beta")), timeout=60,
                    what="beta's exporter down paged")
    org_of(down[0], "beta")
    # Now a fresh incident at acme must still arrive while beta's SentryExporterDown fires.
    acme = stack.sims["acme"].org
    limited = stack.projects["acme"]
    acme.record_outcome(limited.id, "error", "accepted", 500, at=time.time())
    acme.record_outcome(limited.id, "error", "rate_limited", 500, at=time.time(), reason="key_quota")
    alert = wait_for(lambda: stack.alerts("SentryQuotaRateLimited", project=limited.slug), timeout=60,
                     what="acme's rate limiting paged while beta is down")
    assert alert[0]["labels"]["severity"] == "critical"
    org_of(alert[0], "acme")


def test_real_rate_limiting_pages_while_sampling_does_not(stack):
    acme = stack.sims["acme"].org
    sampled = [p for p in acme.projects.values() if p is not stack.projects["acme"]][0]
    acme.record_outcome(sampled.id, "transaction", "accepted", 100, at=time.time())
    acme.record_outcome(sampled.id, "transaction", "filtered", 900, at=time.time(), reason="Sampled:1004")
    # The exporter has counted the sampled transactions apart (outcome filtered_sampling) ...
    wait_for(lambda: f'project="{sampled.slug}"' in stack.exporters["acme"].metrics()
             and 'outcome="filtered_sampling"' in stack.exporters["acme"].metrics(), timeout=60,
             what="Dynamic Sampling's drops exported")
    # ... and Prometheus has evaluated the quota rule on them for a while: no page.  The control is the
    # rate-limited project of the previous test, paged through the same stack.
    wait_for(lambda: stack.prom.query(f'project_category:sentry_events:increase3h{{project="{sampled.slug}",'
                                      'category="transaction"} >= 100'),
             timeout=60, what="the sampled project's transactions in Prometheus")
    time.sleep(5)
    assert stack.alerts("SentryQuotaRateLimited", project=sampled.slug) == []
    assert stack.alerts("SentryQuotaRateLimited", project=stack.projects["acme"].slug)
