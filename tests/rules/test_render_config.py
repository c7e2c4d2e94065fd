"""The Alertmanager render script, run as the real process with controlled environments."""
from __future__ import annotations

import stat

import yaml

from rules_support import render, render_to

SLACK = "https://hooks.slack.com/services/T0/B0/secret-slack"
PAGERDUTY = "pd-secret-key"
WEBHOOK = "http://127.0.0.1:9/hook"


def receivers(path) -> dict[str, dict]:
    return {r["name"]: r for r in yaml.safe_load(path.read_text())["receivers"]}


def test_no_variables_gives_receivers_that_notify_nobody(tmp_path):
    config = yaml.safe_load(render_to(tmp_path, {}).read_text())
    assert {r["name"]: set(r) - {"name"} for r in config["receivers"]} == {
        "null": set(), "default-page": set(), "default-ticket": set(), "meta": set(), "watchdog": set()}
    assert [r["receiver"] for r in config["route"]["routes"]] == ["watchdog", "meta", "null", "default-page"]


def test_meta_alerts_have_their_own_channels_falling_back_to_the_defaults(tmp_path):
    """A revoked default Slack key must not silence the report of it: ALERT_META_* is a channel apart."""
    env = {"ALERT_SLACK_WEBHOOK_URL": SLACK, "ALERT_PAGERDUTY_ROUTING_KEY": PAGERDUTY,
           "ALERT_META_SLACK_WEBHOOK_URL": SLACK + "-meta", "ALERT_META_WEBHOOK_URL": WEBHOOK + "/meta"}
    meta = receivers(render_to(tmp_path, env))["meta"]
    assert meta["slack_configs"][0]["api_url"] == SLACK + "-meta"
    assert meta["webhook_configs"][0]["url"] == WEBHOOK + "/meta"
    assert meta["pagerduty_configs"][0]["routing_key"] == PAGERDUTY  # unset: the default's


def slack_text(tmp_path, env) -> str:
    return receivers(render_to(tmp_path, {"ALERT_SLACK_WEBHOOK_URL": SLACK, **env}))["default-page"][
        "slack_configs"][0]["text"]


def test_slack_message_links_the_sentry_issue_and_the_runbook_at_the_configured_base(tmp_path):
    text = slack_text(tmp_path, {"ALERT_RUNBOOK_BASE_URL": "https://git.example/obs/blob/main/"})
    assert "{{ if .Annotations.issue_url }} <{{ .Annotations.issue_url }}|Sentry issue>{{ end }}" in text
    assert ('<{{ if match "^/" .Annotations.runbook_url }}https://git.example/obs/blob/main{{ end }}'
            "{{ .Annotations.runbook_url }}|runbook>") in text


def test_on_railway_the_runbook_base_is_the_deployed_commit(tmp_path):
    env = {"RAILWAY_GIT_REPO_OWNER": "acme", "RAILWAY_GIT_REPO_NAME": "sentry-observability",
           "RAILWAY_GIT_COMMIT_SHA": "d0beb8f5c55b36df7d674d55965a23b8d54ad69b"}
    assert ("https://github.com/acme/sentry-observability/blob/d0beb8f5c55b36df7d674d55965a23b8d54ad69b{{ end }}"
            in slack_text(tmp_path, env))
    assert "https://elsewhere.example{{ end }}" in slack_text(
        tmp_path, {**env, "ALERT_RUNBOOK_BASE_URL": "https://elsewhere.example"})  # the explicit base wins


def test_without_a_base_a_relative_runbook_path_is_text_not_a_link(tmp_path):
    text = slack_text(tmp_path, {})
    assert "your-github-org" not in text
    assert ('{{ if match "^https?://" .Annotations.runbook_url }} <{{ .Annotations.runbook_url }}|runbook>'
            "{{ else }} (runbook: {{ .Annotations.runbook_url }}){{ end }}") in text


def test_default_channels_page_and_ticket(tmp_path):
    env = {"ALERT_SLACK_WEBHOOK_URL": SLACK, "ALERT_PAGERDUTY_ROUTING_KEY": PAGERDUTY,
           "ALERT_WEBHOOK_URL": WEBHOOK, "ALERT_WATCHDOG_WEBHOOK_URL": WEBHOOK + "/watchdog"}
    got = receivers(render_to(tmp_path, env))
    assert got["default-page"]["pagerduty_configs"][0]["routing_key"] == PAGERDUTY
    assert got["default-page"]["slack_configs"][0]["api_url"] == SLACK
    assert got["default-page"]["webhook_configs"][0]["url"] == WEBHOOK
    assert "pagerduty_configs" not in got["default-ticket"], "a ticket must not page"
    assert got["default-ticket"]["slack_configs"][0]["api_url"] == SLACK
    assert got["watchdog"]["webhook_configs"] == [{"url": WEBHOOK + "/watchdog"}]


def test_teams_get_routes_and_own_channels_falling_back_to_defaults(tmp_path):
    env = {"ALERT_TEAMS": "team-a, #team-b", "ALERT_SLACK_WEBHOOK_URL": SLACK,
           "ALERT_TEAM_TEAM_A_PAGERDUTY_ROUTING_KEY": "team-a-key",
           "ALERT_TEAM_TEAM_B_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/team-b"}
    path = render_to(tmp_path, env)
    got = receivers(path)
    assert got["team-a-page"]["pagerduty_configs"][0]["routing_key"] == "team-a-key"
    assert got["team-a-page"]["slack_configs"][0]["api_url"] == SLACK  # fallback
    assert got["team-b-ticket"]["slack_configs"][0]["api_url"] == "https://hooks.slack.com/services/team-b"
    assert "pagerduty_configs" not in got["team-b-page"]  # no key anywhere: nobody paged
    routes = yaml.safe_load(path.read_text())["route"]["routes"]
    team_routes = [r for r in routes if r["receiver"].endswith("-ticket")]
    assert [(r["matchers"], r["routes"][0]["receiver"]) for r in team_routes] == [
        (['team="team-a"'], "team-a-page"), (['team="team-b"'], "team-b-page")]
    assert routes[-1] == {"receiver": "default-page", "matchers": ['severity="critical"']}


def test_secret_from_file_and_private_output(tmp_path):
    key_file = tmp_path / "pd-key"
    key_file.write_text(PAGERDUTY + "\n")
    path = render_to(tmp_path, {"ALERT_PAGERDUTY_ROUTING_KEY_FILE": str(key_file)})
    assert receivers(path)["default-page"]["pagerduty_configs"][0]["routing_key"] == PAGERDUTY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_stdout_when_no_out_file():
    result = render({"ALERT_WEBHOOK_URL": WEBHOOK})
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["receivers"][1]["webhook_configs"][0]["url"] == WEBHOOK


BAD_INPUTS = {
    "url": ({"ALERT_SLACK_WEBHOOK_URL": "hooks.slack.com/secret-slack"},
            "ALERT_SLACK_WEBHOOK_URL must be an http(s) URL"),
    "key": ({"ALERT_PAGERDUTY_ROUTING_KEY": "pd secret"},
            "ALERT_PAGERDUTY_ROUTING_KEY must be a PagerDuty routing key without spaces"),
    "team": ({"ALERT_TEAMS": 'team"a'}, "ALERT_TEAMS: 'team\"a' is not a team name"),
    "clash": ({"ALERT_TEAMS": "team-a,team.a"}, "share the variables ALERT_TEAM_TEAM_A_*"),
    "orphan": ({"ALERT_TEAMS": "team-a", "ALERT_TEAM_OPS_WEBHOOK_URL": WEBHOOK},
               "ALERT_TEAM_OPS_WEBHOOK_URL is set but names no team in ALERT_TEAMS or no channel"),
    "both": ({"ALERT_WEBHOOK_URL": WEBHOOK, "ALERT_WEBHOOK_URL_FILE": "/x"},
             "set ALERT_WEBHOOK_URL or ALERT_WEBHOOK_URL_FILE, not both"),
    "missing file": ({"ALERT_WEBHOOK_URL_FILE": "/nonexistent/url"},
                     "ALERT_WEBHOOK_URL_FILE: cannot read /nonexistent/url"),
    "default team": ({"ALERT_TEAMS": "default"}, "'default' names the receivers"),
    "runbook base": ({"ALERT_RUNBOOK_BASE_URL": "git.example/secret-repo"}, "ALERT_RUNBOOK_BASE_URL must be an http(s) URL"),
}


def test_bad_input_gives_one_clear_line_and_exit_2():
    for case, (env, expected) in BAD_INPUTS.items():
        result = render(env)
        assert result.returncode == 2, case
        assert result.stdout == "", case
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("render_config: "), (case, result.stderr)
        assert expected in lines[0], (case, lines[0])
        assert "secret" not in lines[0], f"{case}: a secret leaked into the error"


def test_bad_base_file(tmp_path):
    broken = tmp_path / "base.yml"
    broken.write_text("route: [unclosed\n")
    with_receivers = tmp_path / "with-receivers.yml"
    with_receivers.write_text("route: {receiver: x}\nreceivers: [{name: x}]\n")
    for base, expected in [(broken, "is not valid YAML"), (tmp_path / "missing.yml", "cannot read"),
                           (with_receivers, "must be a mapping without receivers")]:
        result = render({}, "--base", str(base))
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1 and expected in result.stderr, result.stderr


def test_unwritable_output(tmp_path):
    result = render({}, "--out", str(tmp_path / "no-such-dir" / "am.yml"))
    assert result.returncode == 2
    assert result.stderr.startswith("render_config: cannot write") and len(result.stderr.splitlines()) == 1
