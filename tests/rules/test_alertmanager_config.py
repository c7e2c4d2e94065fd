"""Rendered Alertmanager configurations checked and routed by the real amtool."""
from __future__ import annotations

import subprocess

import pytest

from rules_support import all_rules, render_to
from tools import require_tool

TEAM_ENV = {
    "ALERT_TEAMS": "team-a,team-b",
    "ALERT_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/default",
    "ALERT_PAGERDUTY_ROUTING_KEY": "default-key",
    "ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook",
    "ALERT_WATCHDOG_WEBHOOK_URL": "http://127.0.0.1:9/watchdog",
    "ALERT_TEAM_TEAM_A_PAGERDUTY_ROUTING_KEY": "team-a-key",
    "ALERT_TEAM_TEAM_B_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/team-b",
}


def amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("amtool"), *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("env", [{}, {"ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook"}, TEAM_ENV],
                         ids=["no-variables", "webhook-only", "teams-and-all-channels"])
def test_amtool_accepts_rendered_config(tmp_path, env):
    path = render_to(tmp_path, env)
    result = amtool("check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


ROUTES = [
    ({"alertname": "Watchdog", "severity": "info"}, "watchdog"),
    ({"alertname": "SentryDataStale", "severity": "info", "team": "team-a"}, "null"),
    ({"alertname": "SentryIssueHighImpact", "severity": "critical", "team": "team-a"}, "team-a-page"),
    ({"alertname": "SentryNewIssue", "severity": "warning", "team": "team-a"}, "team-a-ticket"),
    ({"alertname": "SentryIssueHighImpact", "severity": "critical", "team": "team-b"}, "team-b-page"),
    ({"alertname": "SentryNewIssue", "severity": "warning", "team": "team-b"}, "team-b-ticket"),
    ({"alertname": "SentryIssueHighImpact", "severity": "critical", "team": "someone-else"}, "default-page"),
    ({"alertname": "SentryErrorSpike", "severity": "warning"}, "default-ticket"),
    ({"alertname": "SentryExporterDown", "severity": "critical"}, "default-page"),
    ({"alertname": "AlertmanagerFailedToSendAlerts", "severity": "critical", "channel": "meta"}, "meta"),
    ({"alertname": "PrometheusRuleFailures", "severity": "warning", "channel": "meta", "team": "team-a"}, "meta"),
]


def route_of(config, labels: dict[str, str]) -> str:
    result = amtool("config", "routes", "test", f"--config.file={config}",
                    *(f"{k}={v}" for k, v in labels.items()))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("labels,receiver", ROUTES, ids=[f"{l.get('team', 'no-team')}-{l['severity']}-{r}"
                                                         for l, r in ROUTES])
def test_each_team_and_severity_reaches_its_receiver(tmp_path, labels, receiver):
    config = render_to(tmp_path, TEAM_ENV)
    assert route_of(config, labels) == receiver
    verified = amtool("config", "routes", "test", f"--config.file={config}", f"--verify.receivers={receiver}",
                      *(f"{k}={v}" for k, v in labels.items()))
    assert verified.returncode == 0, verified.stdout


def test_every_shipped_alert_reaches_the_receiver_its_severity_promises(tmp_path):
    """critical pages, warning tickets, info goes nowhere; Watchdog to the dead man's switch; the
    stack's own alerts (channel meta) to their channel."""
    config = render_to(tmp_path, TEAM_ENV)
    expected = {"critical": "default-page", "warning": "default-ticket", "info": "null"}
    for rule in (r for r in all_rules() if "alert" in r):
        labels = {"alertname": rule["alert"], **rule["labels"]}
        want = "watchdog" if rule["alert"] == "Watchdog" else "meta" if rule["labels"].get("channel") == "meta" \
            else expected[rule["labels"]["severity"]]
        assert route_of(config, labels) == want, labels
