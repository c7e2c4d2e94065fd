"""Every metric and label the rules read is one the exporter really exports (a real demo scrape)."""
from __future__ import annotations

import re

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from alerting_stack import alertmanager, prometheus
from rules_support import RULE_FILES, all_rules
from promql_labels import LabelChecker
from tools import ExporterProcess, wait_for

# The exporter configured as docs/alerting.md asks (impact tag, tier label, budgets, environments split so
# that "in production" can be said), polling issues every 2 s: the event counter needs a second poll to grow.
EXPORTER_ENV = {"SENTRY_DEMO": "1", "SENTRY_IMPACT_TAGS": "workspace_id", "SENTRY_ISSUE_LABEL_TAGS": "release_stage",
                "SENTRY_QUOTA_BUDGETS": "error=100000,transaction=500000", "SENTRY_POLL_INTERVAL_SECONDS": "2",
                "SENTRY_ENVIRONMENTS": "production,staging"}
POLLERS = {"issues", "stats", "impact", "releases", "monitors", "uptime", "uptime_results"}
# Labels Prometheus adds to every scraped series, and the series it makes itself.
TARGET_LABELS = {"job", "instance"}
PROMETHEUS_SERIES = {"up": TARGET_LABELS}
# The stack's own families that the meta alerts read, as the real Prometheus and Alertmanager serve them.
STACK_FAMILIES = {"prometheus_rule_evaluation_failures_total", "prometheus_notifications_alertmanagers_discovered",
                  "alertmanager_notifications_total", "alertmanager_notifications_failed_total"}
# The pinned image prom/alertmanager:v0.34.0 labels failures by reason too (notify/metrics.go at v0.34.0:
# `append(labels, "reason")`); the Debian alertmanager of the tests is older and does not.
PINNED_EXTRA_LABELS = {"alertmanager_notifications_failed_total": {"reason"}}
# Families the exporter declares but the demo leaves without samples during the test (no new issue
# for 90 s; the demo's Sentry serves every poller): their names are checked, their labels cannot be.
# Any other declared-but-empty family that a rule reads fails the test.
EMPTY_IN_DEMO = {"sentry_issue_transitions_total", "sentry_poll_unsupported"}
UNKNOWN_LABELS = {"*"}
# `query "expr"` and `printf "expr" args | query` in annotation templates.
TEMPLATE_QUERY = re.compile(r'query "((?:[^"\\]|\\.)+)"|printf "((?:[^"\\]|\\.)+)"[^|}]*\| query')


def exported_series(exposition: str) -> dict[str, set[str]]:
    """{sample name: label names}; a declared family without samples maps to UNKNOWN_LABELS."""
    series: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(exposition):
        if not family.samples:
            series[family.name + ("_total" if family.type == "counter" else "")] = set(UNKNOWN_LABELS)
        for sample in family.samples:
            if not sample.name.endswith("_created"):
                series.setdefault(sample.name, set()).update(sample.labels)
    return {name: labels | TARGET_LABELS for name, labels in series.items()}


@pytest.fixture(scope="module")
def scrape() -> dict[str, set[str]]:
    exporter = ExporterProcess(EXPORTER_ENV)
    try:
        exporter.wait_ready()

        def every_poller_ran():
            text = exporter.metrics()
            ran = set(re.findall(r'sentry_last_success_timestamp_seconds\{[^}]*poller="(\w+)"[^}]*\} [1-9]', text))
            return text if POLLERS <= ran and "\nsentry_issue_events_total{" in text else None
        return exported_series(wait_for(every_poller_ran, timeout=30, what="every poller, issues twice"))
    finally:
        exporter.stop()


@pytest.fixture(scope="module")
def stack_series(tmp_path_factory) -> dict[str, set[str]]:
    """The meta alerts' families from a real Prometheus (with the shipped rules loaded) and Alertmanager."""
    tmp = tmp_path_factory.mktemp("stack")
    am = alertmanager(tmp / "alertmanager", {"route": {"receiver": "null"}, "receivers": [{"name": "null"}]})
    try:
        prom = prometheus(tmp / "prometheus", am.url, am.url, RULE_FILES)
        try:
            text = requests.get(prom.url + "/metrics", timeout=5).text + requests.get(am.url + "/metrics", timeout=5).text
        finally:
            prom.stop()
    finally:
        am.stop()
    series = {name: labels for name, labels in exported_series(text).items() if name in STACK_FAMILIES}
    assert set(series) == STACK_FAMILIES, f"not served: {STACK_FAMILIES - set(series)}"
    return {name: labels | PINNED_EXTRA_LABELS.get(name, set()) for name, labels in series.items()}


def check_rules(exported: dict[str, set[str]]) -> LabelChecker:
    rules = all_rules()
    # Recording rules may be read before their definition in file order: learn their labels first.
    learner = LabelChecker({**exported, **PROMETHEUS_SERIES})
    for _ in range(3):
        for rule in (r for r in rules if "record" in r):
            learner.define(rule["record"], (learner.check(rule["record"], rule["expr"]) or set())
                           | set(rule.get("labels", {})))
    checker = LabelChecker(learner.series)
    for rule in rules:
        name = rule.get("record") or rule["alert"]
        labels = (checker.check(name, rule["expr"]) or set()) | set(rule.get("labels", {}))
        if "record" in rule:
            checker.define(name, labels)
            continue
        for annotation, template in rule.get("annotations", {}).items():
            for used in re.findall(r"\$labels\.(\w+)", template):
                if "*" not in labels and used not in labels:
                    checker.problems.append(f"{name}: annotation {annotation} reads $labels.{used}, "
                                            f"not among {sorted(labels)}")
            queried: set[str] = set()
            for query in ("".join(groups) for groups in TEMPLATE_QUERY.findall(template)):
                where = f"{name} annotation {annotation}"
                queried |= checker.check(where, query.replace("%q", '"x"').replace('\\"', '"')) or set()
            for used in re.findall(r"\.Labels\.(\w+)", template):
                if "*" not in queried and used not in queried:
                    checker.problems.append(f"{name}: annotation {annotation} reads .Labels.{used} of a query "
                                            f"result, not among {sorted(queried)}")
    return checker


def test_every_metric_and_label_in_the_rules_is_exported(scrape, stack_series):
    checker = check_rules({**scrape, **stack_series})
    assert not checker.problems, "\n".join(checker.problems)
    unverified = {m for m in checker.metrics_read if "*" in scrape.get(m, set())}
    assert unverified <= EMPTY_IN_DEMO, f"rules read families the demo leaves empty: {sorted(unverified - EMPTY_IN_DEMO)}"


def test_the_checker_catches_a_wrong_label_and_an_unknown_metric(scrape):
    checker = LabelChecker(scrape)
    checker.check("wrong label", 'sum by (projekt) (sentry_issues{level="error"})')
    checker.check("unknown metric", "rate(sentry_issue_count_total[5m])")
    assert checker.problems == [
        "wrong label: sum by reads label 'projekt', not among " + str(sorted(scrape["sentry_issues"])),
        "unknown metric: metric 'sentry_issue_count_total' is neither exported nor recorded"]
