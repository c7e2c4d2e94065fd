"""End to end: the demo exporter, real Prometheus with the shipped rules, real Alertmanager with a
rendered configuration, and a local webhook that must receive the alerts with labels and annotations."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
import yaml

from alerting_stack import alertmanager, prometheus
from receiver import Webhook
from rules_support import RULE_FILES, render_to
from tools import ExporterProcess, at_test_speed, wait_for

# The rules leave runbook links relative; Alertmanager's Slack message puts the deployment's base in front.
RUNBOOK = "/docs/runbook.md#"
# The demo org, configured as docs/alerting.md asks; a 1-event error budget makes SentryQuotaBurn true.
# The demo also has a GA connector issue of #team-c hitting 4 workspaces and a bad mobile-app release.
EXPORTER_ENV = {"SENTRY_DEMO": "1", "SENTRY_IMPACT_TAGS": "workspace_id", "SENTRY_ISSUE_LABEL_TAGS": "release_stage",
                "SENTRY_QUOTA_BUDGETS": "error=1", "SENTRY_POLL_INTERVAL_SECONDS": "2"}
# The one change to the shipped rules: `for:` shortened so the test ends in seconds (promtool tests
# cover `for:`).  SentryExporterDown keeps a longer one, so that its absent() before the first scrape
# does not fire and inhibit the data alerts.
SHORT_FOR = {"SentryExporterDown": "30s"}


def fast(config: dict) -> dict:
    """The rendered Alertmanager configuration with 1s grouping timers on every route."""
    def walk(route):
        route.update({k: "1s" for k in ("group_wait", "group_interval") if k in route or route is config["route"]})
        for child in route.get("routes", []):
            walk(child)
    walk(config["route"])
    return config


def rules_with_short_for(directory) -> list:
    directory.mkdir()
    paths = []
    for path in RULE_FILES:
        content = yaml.safe_load(path.read_text())
        content["groups"] = at_test_speed(content["groups"])
        for group in content["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rule["for"] = SHORT_FOR.get(rule["alert"], "1s")
        paths.append(directory / path.name)
        paths[-1].write_text(yaml.safe_dump(content, sort_keys=False))
    return paths


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alerting")
    webhook = Webhook()
    started = []
    try:
        exporter = ExporterProcess(EXPORTER_ENV)
        started.append(exporter)
        exporter.wait_ready()
        env = {"ALERT_WEBHOOK_URL": webhook.url + "/hook", "ALERT_WATCHDOG_WEBHOOK_URL": webhook.url + "/watchdog",
               "ALERT_TEAMS": "team-c", "ALERT_TEAM_TEAM_C_WEBHOOK_URL": webhook.url + "/team-c"}
        config = fast(yaml.safe_load(render_to(tmp, env).read_text()))
        am = alertmanager(tmp / "alertmanager", config)
        started.append(am)
        started.append(prometheus(tmp / "prometheus", exporter.url, am.url, rules_with_short_for(tmp / "rules")))
        yield webhook
    finally:
        for process in reversed(started):
            process.stop()
        webhook.close()


def test_watchdog_reaches_the_dead_mans_switch(stack):
    notification, alert = wait_for(lambda: next(iter(stack.alerts("/watchdog", "Watchdog")), None),
                                   timeout=40, what="Watchdog at the webhook")
    assert notification["receiver"] == "watchdog"
    assert alert["labels"] == {"alertname": "Watchdog", "severity": "info"}
    assert alert["annotations"] == {
        "summary": "Always firing, so a silent alerting pipeline gets noticed.",
        "description": "This alert fires all the time. A dead man's switch outside this stack should page "
                       "when it stops arriving.",
        "runbook_url": RUNBOOK + "watchdog"}


def test_quota_burn_from_demo_data_reaches_the_default_ticket_receiver(stack):
    notification, alert = wait_for(lambda: next(iter(stack.alerts("/hook", "SentryQuotaBurn")), None),
                                   timeout=40, what="SentryQuotaBurn at the webhook")
    assert notification["receiver"] == "default-ticket"
    # The quota is per org: the alert keeps the exporter's org label (SENTRY_ORG; the demo's is "demo").
    labels = dict(alert["labels"])
    assert labels.pop("org") == "demo"
    assert labels == {"alertname": "SentryQuotaBurn", "category": "error", "severity": "warning"}
    annotations = alert["annotations"]
    assert annotations["summary"] == "Accepted events are on course to exceed the billing-period budget."
    assert re.fullmatch(r"At the last day's pace, error events reach \S+ by the end of the billing period, "
                        r"over the budget of 1\.", annotations["description"]), annotations["description"]
    assert annotations["runbook_url"] == RUNBOOK + "sentryquotaburn"


def test_high_impact_issue_pages_its_projects_team_with_the_owner_in_the_description(stack):
    """The P0's labels are only the stable ones: its project's team in Sentry (the demo's connectors belongs to
    team-c) routes it to team-c-page; the issue's assignee (#team-c) is named in the description."""
    def ga_page():
        return [(n, a) for n, a in stack.alerts("/team-c", "SentryIssueHighImpact")
                if a["labels"].get("release_stage") == "GA" and a["labels"]["project"] == "connectors"]
    notification, alert = wait_for(lambda: next(iter(ga_page()), None), timeout=40,
                                   what="SentryIssueHighImpact at team-c's page webhook")
    assert notification["receiver"] == "team-c-page"
    labels = alert["labels"]
    assert {k: v for k, v in labels.items() if k != "issue"} == {
        "alertname": "SentryIssueHighImpact", "severity": "critical", "priority": "P0", "project": "connectors",
        "team": "team-c", "tag": "workspace_id", "release_stage": "GA", "org": "demo"}
    assert re.fullmatch(r"CONNECTORS-\w+", labels["issue"])
    annotations = alert["annotations"]
    assert annotations["description"] == (f"Issue {labels['issue']} in project connectors affected 4 distinct "
                                          "workspace_id values in 24h (tier GA); owner team-c.")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/organizations/demo/issues/\d+/", annotations["issue_url"])
    assert annotations["runbook_url"] == RUNBOOK + "sentryissuehighimpact"
    assert annotations["summary"] == "An issue hits more distinct customers than its tier allows."


def test_bad_release_reaches_the_default_page_receiver(stack):
    def bad_release():
        return [(n, a) for n, a in stack.alerts("/hook", "SentryReleaseUnhealthy")
                if a["labels"]["release"] == "mobile-app@2.0.0" and a["labels"]["environment"] == "production"]
    notification, alert = wait_for(lambda: next(iter(bad_release()), None), timeout=40,
                                   what="SentryReleaseUnhealthy at the webhook")
    assert notification["receiver"] == "default-page"
    assert alert["labels"]["severity"] == "critical" and alert["labels"]["project"] == "mobile-app"
    assert re.fullmatch(r"Release mobile-app@2\.0\.0 of project mobile-app in production is crash-free in only "
                        r"8\d(\.\d+)?% of its sessions\. Deployed there at \d{4}-\d\d-\d\d [0-9:.]+ \+0000 UTC\.",
                        alert["annotations"]["description"])  # with the deploy context from Sentry's deploys
    assert alert["annotations"]["runbook_url"] == RUNBOOK + "sentryreleaseunhealthy"


def post_alerts(am_url: str, alerts: list[tuple[str, str, dict]], annotations: dict | None = None) -> None:
    now = datetime.now(timezone.utc)
    requests.post(am_url + "/api/v2/alerts", timeout=5, json=[
        {"labels": {"alertname": name, "severity": severity, **extra}, "annotations": annotations or {},
         "startsAt": now.isoformat(), "endsAt": (now + timedelta(minutes=5)).isoformat()}
        for name, severity, extra in alerts]).raise_for_status()


def test_exporter_down_inhibits_only_its_own_data_alerts(tmp_path):
    """Posted straight to a real Alertmanager: shard-0 is down, so its stale-data alert is inhibited; shard-1's
    is not (one shard down does not silence the other), nor is an alert of no exporter."""
    webhook = Webhook()
    config = fast(yaml.safe_load(render_to(tmp_path, {"ALERT_WEBHOOK_URL": webhook.url + "/hook"}).read_text()))
    am = alertmanager(tmp_path / "alertmanager", config)
    try:
        shard = {"job": "sentry-exporter", "poller": "issues"}
        post_alerts(am.url, [("SentryExporterDown", "critical", {"job": "sentry-exporter", "instance": "shard-0:8971"}),
                             ("SentryDataStale", "warning", {**shard, "instance": "shard-0:8971"}),
                             ("SentryDataStale", "warning", {**shard, "instance": "shard-1:8971"}),
                             ("SomeOtherAlert", "warning", {})])
        wait_for(lambda: webhook.alerts("/hook", "SentryExporterDown") and webhook.alerts("/hook", "SomeOtherAlert")
                 and webhook.alerts("/hook", "SentryDataStale"), timeout=20, what="the page and the other shard's alert")
        time.sleep(2)  # shard-0's alert, if not inhibited, would have been sent with them (1s group timers)
        assert [a["labels"]["instance"] for _, a in webhook.alerts("/hook", "SentryDataStale")] == ["shard-1:8971"]
        assert webhook.alerts("/hook", "SentryExporterDown")[0][0]["receiver"] == "default-page"
    finally:
        am.stop()
        webhook.close()


def test_slack_message_links_the_sentry_issue_and_the_runbook(tmp_path):
    """The real Alertmanager renders the Slack text: the Sentry issue's permalink, and the rules' relative
    runbook link made absolute with ALERT_RUNBOOK_BASE_URL."""
    slack = Webhook()
    env = {"ALERT_SLACK_WEBHOOK_URL": slack.url + "/slack", "ALERT_RUNBOOK_BASE_URL": "https://git.example/obs/blob/v1"}
    am = alertmanager(tmp_path / "alertmanager", fast(yaml.safe_load(render_to(tmp_path, env).read_text())))
    try:
        post_alerts(am.url, [("SentryIssueHighImpact", "critical", {"issue": "CONNECTORS-1"})],
                    {"description": "Issue CONNECTORS-1 hit 3 workspaces.",
                     "issue_url": "https://acme.sentry.io/issues/42/",
                     "runbook_url": "/docs/runbook.md#sentryissuehighimpact"})
        request = wait_for(lambda: next(iter(slack.received()), None), timeout=20, what="the Slack message")
        text = request.json()["attachments"][0]["text"]
        assert text == ("Issue CONNECTORS-1 hit 3 workspaces. <https://acme.sentry.io/issues/42/|Sentry issue> "
                        "<https://git.example/obs/blob/v1/docs/runbook.md#sentryissuehighimpact|runbook>\n")
    finally:
        am.stop()
        slack.close()
