"""Every panel query of every dashboard, run by a real Prometheus that scrapes the real exporter in demo mode.

Variables are filled the way Grafana's "All" fills them (real values from label_values), `$__rate_interval`,
`$__interval` and `$__range` with short sane windows. Each query must succeed and return data; key panels
must show the exporter's exposition values and the simulator org's truth.
"""
from __future__ import annotations

import time
import warnings
from collections import defaultdict

import pytest
from dashboard_json import generated, panels, prometheus_targets
from promstack import QueryError, resolve_variables, start_exporter_demo, start_prometheus, substitute
from tools import require_tool, sample_values, wait_for

# Panels built on metrics that issue 3 (impact, transitions, releases, quota budget) has not landed yet.
# The test reports them instead of failing; it fails once one of them shows data, so that it gets removed.
# Empty this set when issue 3 is done.
PENDING_PANELS = frozenset({
    ("sentry-impact", "Paging-level issues"),
    ("sentry-impact", "Top issues by distinct workspaces / tenants"),
    ("sentry-impact", "Issues over the paging threshold"),
    ("sentry-impact", "Escalations per project"),
    ("sentry-overview", "New issues (24h)"),
    ("sentry-overview", "Regressions in range"),
    ("sentry-overview", "Issue events per project (per minute)"),
    ("sentry-overview", "Issue transitions"),
    ("sentry-quota", "Quota budget used"),
    ("sentry-releases", "Latest releases below objective"),
    ("sentry-releases", "Worst latest release"),
    ("sentry-releases", "Sessions (24h)"),
    ("sentry-releases", "New issues (24h)"),
    ("sentry-releases", "Crash-free sessions per release"),
    ("sentry-releases", "Crash-free users per release"),
    ("sentry-releases", "Worst releases (crash-free sessions)"),
    ("sentry-releases", "Sessions per release (24h)"),
    ("sentry-releases", "Latest releases"),
    ("sentry-releases", "New issues per project (24h)"),
})

DASHBOARDS = generated()
DATA_TIMEOUT = 60


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    binary = require_tool("prometheus")
    exporter = start_exporter_demo()
    prometheus = None
    try:
        prometheus = start_prometheus(binary, tmp_path_factory.mktemp("prometheus"), exporter.port)
        # rate() needs a few samples: wait until Prometheus holds 5 scrapes of the exporter.
        wait_for(lambda: prometheus.instant('count_over_time(sentry_up{job="sentry-exporter"}[1m]) >= 5'),
                 30, interval=0.5, what="five scrapes of the exporter")
        yield prometheus, exporter
    finally:
        if prometheus:
            prometheus.stop()
        exporter.stop()


def all_targets(prometheus):
    """(uid, panel title, refId, expr with variables filled) for every Prometheus target, plus variable trouble."""
    rows, unresolved = [], []
    for uid, dashboard in DASHBOARDS.items():
        values, how = resolve_variables(prometheus, dashboard)
        for panel, target in prometheus_targets(dashboard):
            expr = substitute(target["expr"], values)
            rows.append((uid, panel["title"], target["refId"], expr, target.get("instant", False)))
            if (uid, panel["title"]) not in PENDING_PANELS:
                unresolved += [f"{uid}/{panel['title']}: ${name} has no values"
                               for name in how if how[name] == "none" and f"${name}" in target["expr"]]
    return rows, unresolved


def evaluate(prometheus, rows):
    """{(uid, title): [problems]} — an empty list means every target of the panel returned data."""
    outcome = defaultdict(list)
    for uid, title, ref, expr, instant in rows:
        problems = outcome[uid, title]
        try:
            if not prometheus.run({"expr": expr, "instant": instant}):
                problems.append(f"{ref} returned nothing [{expr}]")
        except QueryError as e:
            problems.append(f"{ref} failed: {e} [{expr}]")
    return outcome


def test_every_panel_query_returns_data(stack):
    prometheus, _ = stack
    rows, unresolved = all_targets(prometheus)
    assert not unresolved, "\n".join(unresolved)
    assert len(rows) > 60
    deadline = time.monotonic() + DATA_TIMEOUT
    while True:  # pollers fill in at their own pace; give them a minute
        outcome = evaluate(prometheus, rows)
        failing = {k: v for k, v in outcome.items() if v and k not in PENDING_PANELS}
        if not failing or time.monotonic() > deadline:
            break
        time.sleep(2)
    errors = [p for k, v in outcome.items() if k in PENDING_PANELS for p in v if " failed: " in p]
    now_working = sorted(k for k in PENDING_PANELS if k in outcome and not outcome[k])
    still_pending = sorted(k for k in PENDING_PANELS if outcome.get(k))
    report = "\n".join(f"{uid} / {title}: {'; '.join(p)}" for (uid, title), p in sorted(failing.items()))
    assert not failing, f"panels without data:\n{report}"
    assert not errors, "pending panels must still be valid PromQL:\n" + "\n".join(errors)
    assert not now_working, f"these panels show data now; remove them from PENDING_PANELS: {now_working}"
    assert set(PENDING_PANELS) <= set(outcome), "PENDING_PANELS names a panel that does not exist"
    if still_pending:
        warnings.warn(f"{len(still_pending)} panels wait for issue-3 metrics: "
                      + ", ".join(f"{u}/{t}" for u, t in still_pending))


def test_annotation_queries_are_valid_promql(stack):
    prometheus, _ = stack
    checked = 0
    for dashboard in DASHBOARDS.values():
        for annotation in dashboard["annotations"]["list"]:
            if annotation.get("datasource", {}).get("type") == "prometheus":
                prometheus.range(annotation["expr"])  # raises on a bad query; no alert need be firing
                checked += 1
    assert checked


def target_expr(prometheus, uid, title, ref="A"):
    """A panel's query with its variables filled as in the first test."""
    dashboard = DASHBOARDS[uid]
    values, _ = resolve_variables(prometheus, dashboard)
    panel = next(p for p in panels(dashboard) if p["title"] == title)
    return substitute(next(t for t in panel["targets"] if t["refId"] == ref)["expr"], values)


def settled(prometheus, exporter, expr, metric):
    """(query result, exposition samples of `metric`) at a moment the exporter's values did not change."""
    for _ in range(10):
        before = sample_values(exporter.metrics(), metric)
        time.sleep(1.5)  # longer than a scrape interval: Prometheus now holds `before`
        result = prometheus.instant(expr)
        if sample_values(exporter.metrics(), metric) == before:
            return result, before
    pytest.fail(f"{metric} kept changing; cannot compare")


def by_label(samples, *names):
    """Sum exposition samples grouped by the given label names."""
    totals = defaultdict(float)
    for labels, value in samples.items():
        labels = dict(labels)
        totals[tuple(labels.get(n, "") for n in names)] += value
    return dict(totals)


def series_values(result, *names):
    return {tuple(r["metric"].get(n, "") for n in names): float(r["value"][1]) for r in result}


def test_total_unresolved_shows_the_exposed_count(stack):
    prometheus, exporter = stack
    result, exposed = settled(prometheus, exporter,
                              target_expr(prometheus, "sentry-overview", "Unresolved issues"), "sentry_issues")
    assert len(result) == 1
    assert float(result[0]["value"][1]) == sum(exposed.values()) > 0


def test_unresolved_by_substatus_shows_the_exposed_split(stack):
    prometheus, exporter = stack
    result, exposed = settled(prometheus, exporter,
                              target_expr(prometheus, "sentry-overview", "Unresolved by substatus"), "sentry_issues")
    assert series_values(result, "substatus") == by_label(exposed, "substatus")
    assert len(result) >= 2, "the demo org has issues in several substatuses"


def test_accepted_events_per_project_show_the_exposed_counters(stack):
    prometheus, exporter = stack
    expr = target_expr(prometheus, "sentry-quota", "Accepted this period by project and category")
    result, exposed = settled(prometheus, exporter, expr, "sentry_events_total")
    accepted = {k: v for k, v in exposed.items() if dict(k)["outcome"] == "accepted"}
    assert series_values(result, "project", "category") == by_label(accepted, "project", "category")


def test_events_per_project_over_time_covers_every_project_with_events(stack):
    prometheus, exporter = stack
    expr = target_expr(prometheus, "sentry-overview", "Accepted errors per project (stats)")
    exposed = sample_values(exporter.metrics(), "sentry_events_total")
    projects = {dict(k)["project"] for k, v in exposed.items()
                if dict(k)["category"] == "error" and dict(k)["outcome"] == "accepted"}
    result = prometheus.range(expr)
    assert {r["metric"]["project"] for r in result} == projects
    assert all(float(v) >= 0 for r in result for _, v in r["values"])


def test_top_issues_table_rows_carry_events_title_and_permalink(stack):
    prometheus, exporter = stack
    result, events = settled(prometheus, exporter, target_expr(prometheus, "sentry-overview", "Top issues"),
                             "sentry_issue_events")
    info = {dict(k)["issue"]: dict(k) for k in sample_values(exporter.metrics(), "sentry_issue_info")}
    assert series_values(result, "issue", "project") == by_label(events, "issue", "project")
    for row in result:
        labels = row["metric"]
        assert labels["title"] == info[labels["issue"]]["title"]
        assert labels["permalink"] == info[labels["issue"]]["permalink"]
        assert labels["permalink"].startswith("http")
