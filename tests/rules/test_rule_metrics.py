"""Every metric and label the rules read is one the exporter really exports (a real demo scrape)."""
from __future__ import annotations

import re

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import all_rules
from promql_labels import LabelChecker
from tools import ExporterProcess, wait_for

# The exporter configured as docs/alerting.md asks: impact tag, tier label, budgets.
EXPORTER_ENV = {"SENTRY_DEMO": "1", "SENTRY_IMPACT_TAGS": "workspace_id", "SENTRY_ISSUE_LABEL_TAGS": "release_stage",
                "SENTRY_QUOTA_BUDGETS": "error=100000,transaction=500000"}
POLLERS = {"projects", "issues", "stats", "impact", "releases"}
# Labels Prometheus adds to every scraped series, and the series it makes itself.
TARGET_LABELS = {"job", "instance"}
PROMETHEUS_SERIES = {"up": TARGET_LABELS}
# Metrics the rules read that the exporter does not export yet (issue 3 in progress).  The test fails
# when one of them appears, so that this list only ever shrinks.
PENDING: set[str] = set()
# `query "expr"` and `printf "expr" args | query` in annotation templates.
TEMPLATE_QUERY = re.compile(r'query "((?:[^"\\]|\\.)+)"|printf "((?:[^"\\]|\\.)+)"[^|}]*\| query')


def exported_series(exposition: str) -> dict[str, set[str]]:
    series: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(exposition):
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
            return text if POLLERS <= ran else None
        return exported_series(wait_for(every_poller_ran, timeout=30, what="a success of every poller"))
    finally:
        exporter.stop()


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


def test_every_metric_and_label_in_the_rules_is_exported(scrape):
    checker = check_rules(scrape)
    missing_metrics = {m for p in checker.problems for m in re.findall(r"metric '(\w+)' is neither", p)}
    assert not (PENDING - missing_metrics), f"now exported, drop from PENDING: {sorted(PENDING - missing_metrics)}"
    unexpected = [p for p in checker.problems if not any(f"metric '{m}'" in p for m in PENDING)]
    assert not unexpected, "\n".join(unexpected)


def test_the_checker_catches_a_wrong_label_and_an_unknown_metric(scrape):
    checker = LabelChecker(scrape)
    checker.check("wrong label", 'sum by (projekt) (sentry_issues{level="error"})')
    checker.check("unknown metric", "rate(sentry_issue_count_total[5m])")
    assert checker.problems == [
        "wrong label: sum by reads label 'projekt', not among " + str(sorted(scrape["sentry_issues"])),
        "unknown metric: metric 'sentry_issue_count_total' is neither exported nor recorded"]
