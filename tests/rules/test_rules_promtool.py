"""The shipped rules: valid for promtool, unit-tested by promtool, and written in the mixin style."""
from __future__ import annotations

import re
import shutil
import subprocess

import yaml

from rules_support import RULE_FILES, RULE_TESTS, RULES_DIR, ROOT, all_rules
from tools import require_tool

RUNBOOK = ROOT / "docs" / "runbook.md"
RUNBOOK_URL = re.compile(r'^\{\{ with query "config:sentry_alerting:info" \}\}'
                         r"\{\{ \(index \. 0\)\.Labels\.runbook_base_url \}\}\{\{ end \}\}/docs/runbook\.md#([a-z0-9-]+)$")


def promtool(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("promtool"), *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def alerts() -> list[dict]:
    return [r for r in all_rules() if "alert" in r]


def test_promtool_check_rules():
    assert RULE_FILES, f"no rule files in {RULES_DIR}"
    result = promtool("check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_FILES)


def test_promtool_unit_tests_pass():
    assert RULE_TESTS
    result = promtool("test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_unit_tests_bite_when_a_threshold_moves(tmp_path):
    """Raise the GA tier threshold (the exporter's sentry_impact_threshold) from 2 to 3: the high-impact case
    must now fail."""
    copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, copy)
    cases = copy / "tests" / "issues.test.yml"
    text = cases.read_text()
    ga = "sentry_impact_threshold{org=\"acme\", tag=\"workspace_id\", release_stage=\"GA\""
    moved = re.sub(re.escape(ga) + r"(.*\n\s+values: )'2x", lambda m: ga + m.group(1) + "'3x", text)
    assert moved != text
    cases.write_text(moved)
    result = promtool("test", "rules", "tests/issues.test.yml", cwd=copy)
    assert result.returncode != 0
    assert "SentryIssueHighImpact" in result.stdout + result.stderr


def test_mixin_style():
    names = set()
    for rule in alerts():
        name = rule["alert"]
        names.add(name)
        # The stack's own alerts keep the names of the upstream mixins they come from.
        assert re.fullmatch(r"Sentry[A-Z][A-Za-z]+|Watchdog|(Alertmanager|Prometheus)[A-Z][A-Za-z]+", name), name
        assert rule.get("for"), f"{name} has no for:"
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        annotations = rule["annotations"]
        assert "{{" not in annotations["summary"], f"{name}: summary must be static"
        if name != "Watchdog":  # the one alert with nothing variable to say
            assert "{{" in annotations["description"], f"{name}: description must be templated"
        anchor = RUNBOOK_URL.match(annotations["runbook_url"])
        assert anchor and anchor.group(1) == name.lower(), f"{name}: runbook_url {annotations['runbook_url']}"
    assert {"SentryExporterDown", "SentryDataStale", "SentryApiRateLimited", "SentryIssuesTruncated",
            "SentryErrorSpike", "SentryNewIssue", "SentryIssueRegressed", "SentryIssueHighImpact",
            "SentryErrorBudgetBurn", "SentryQuotaRateLimited", "SentryReleaseUnhealthy", "SentryQuotaBurn",
            "AlertmanagerFailedToSendAlerts", "PrometheusRuleFailures", "PrometheusNotConnectedToAlertmanagers",
            "Watchdog"} <= names


def test_recording_rules_are_named_level_metric_operation():
    for rule in all_rules():
        if "record" in rule:
            assert re.fullmatch(r"[a-z_]+:[a-z_]+:[a-z0-9_]+", rule["record"]), rule["record"]


def test_every_alert_rule_has_a_firing_and_a_silent_promtool_case():
    """Per alert rule (name + static labels): one exp_alerts entry that matches it, one empty exp_alerts."""
    fired, silent = [], set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired += [(check["alertname"], e["exp_labels"]) for e in check["exp_alerts"]]
                else:
                    silent.add(check["alertname"])
    for rule in alerts():
        static = rule["labels"]
        assert any(name == rule["alert"] and static.items() <= labels.items() for name, labels in fired), \
            f"no promtool case fires {rule['alert']} {static}"
        assert rule["alert"] in silent, f"no promtool case where {rule['alert']} must stay silent"


def test_every_threshold_is_defined_once_and_used():
    defined = [r["labels"]["threshold"] for r in all_rules() if r.get("record") == "config:sentry_alert_threshold:value"]
    used = {m for r in all_rules() if r.get("record") != "config:sentry_alert_threshold:value"
            for m in re.findall(r'threshold="([a-z0-9_]+)"', r["expr"])}
    assert used <= set(defined), f"undefined thresholds: {used - set(defined)}"
    assert set(defined) <= used, f"thresholds nobody reads: {set(defined) - used}"


def test_the_exporter_job_is_named_once_in_the_config_group():
    """Another job name is a one-line change: no rule matches on job but through config:sentry_exporter_job:info."""
    for rule in all_rules():
        assert not re.search(r"\bjob\s*=", rule["expr"]), f"{rule.get('record') or rule['alert']} matches on job"
    groups = [group for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]]
    named = [(group["name"], rule["record"]) for group in groups for rule in group["rules"]
             if "job" in rule.get("labels", {})]
    assert named == [("sentry-config", "config:sentry_exporter_job:info")]
    line = next(line.strip() for line in (RULES_DIR / "sentry-config.rules.yml").read_text().splitlines()
                if line.strip().startswith("labels: {job:"))
    assert line in (ROOT / "docs/own-stack.md").read_text(), f"docs/own-stack.md shows another line to change than {line!r}"


def test_runbook_has_one_section_per_alert():
    headings = re.findall(r"^## (\S+)\s*$", RUNBOOK.read_text(), flags=re.M)
    assert sorted({a["alert"] for a in alerts()}) == sorted(headings)


def test_the_docs_state_each_alerts_severity_as_the_rules_do():
    """docs/alerting.md's alert table and the rules agree on every (alert, severity) pair."""
    text = (ROOT / "docs" / "alerting.md").read_text()
    table = text.split("## The alerts", 1)[1].split("\n\n", 2)[1]
    documented = {(cells[0], cells[1].split()[0].strip(",")) for cells in
                  ([c.strip() for c in row.strip("|").split("|")] for row in table.splitlines()[2:])}
    shipped = {(rule["alert"], rule["labels"]["severity"]) for rule in alerts()}
    assert documented == shipped


def test_the_promise_table_names_tests_that_exist_and_severities_the_rules_ship():
    """docs/alerting.md's promise table: every promtool case, test file and test function it cites exists
    (a trailing … is a prefix), and each row's first alert has that severity, routed to a page or a ticket, and
    to a team's receiver only when the rule gives it a team."""
    text = (ROOT / "docs" / "alerting.md").read_text()
    table = text.split("## Paging promises and the proof of each", 1)[1].split("\n| promise |", 1)[1].split("\n\n", 1)[0]
    rows = [[c.strip() for c in row.strip("|").split("|")] for row in table.splitlines()[2:]]
    cases = [case["name"] for path in RULE_TESTS for case in yaml.safe_load(path.read_text())["tests"]]
    functions = {path.name: set(re.findall(r"^def (test_\w+)", path.read_text(), flags=re.M))
                 for path in (ROOT / "tests").rglob("test_*.py")}
    shipped = {(rule["alert"], rule["labels"]["severity"]) for rule in alerts()}
    assert len(rows) > 10
    for promise, alert, severity, routing, proof in rows:
        for case in re.findall(r"\*([^*]+)\*", proof):
            assert any(name.startswith(case.rstrip("…")) for name in cases), f"{promise}: no promtool case {case!r}"
        test_file = None  # the file a "::test_…" citation continues
        for cited in re.findall(r"`([^`]*test_[^`]*)`", proof):
            path, _, function = cited.partition("::")  # "dir/file.py::fn", "::fn", "file.py" or a bare "fn…"
            if path.endswith(".py"):
                test_file = path.rsplit("/", 1)[-1]
                assert test_file in functions, f"{promise}: no test file {path}"
            candidates = functions[test_file] if function else set().union(*functions.values())
            function = function or ("" if path.endswith(".py") else path)
            assert not function or any(f.startswith(function.rstrip("…")) for f in candidates), \
                f"{promise}: no test {cited}"
        name, level = re.match(r"[A-Za-z–]+", alert).group(0), severity.split()[0]
        if level in ("critical", "warning"):
            assert (name, level) in shipped, f"{promise}: {name} is not shipped as {level}"
            assert ("page" if level == "critical" else "ticket") in routing or "meta" in routing, promise
            # A team route needs a team label: the rule joins it in from an info series.
            if "<team>" in routing:
                assert all(re.search(r"group_left \([^)]*\bteam\b", rule["expr"]) for rule in alerts()
                           if (rule["alert"], rule["labels"]["severity"]) == (name, level)), f"{promise}: {name} has no team"
