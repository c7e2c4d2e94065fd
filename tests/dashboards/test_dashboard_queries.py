"""Every panel query of every dashboard, run by a real Prometheus that scrapes the real exporter in demo mode.

The stack is someone else's, as in docs/own-stack.md ("Add it to your existing Prometheus and Grafana"): Prometheus
scrapes the exporter under its own job name, with our rules changed on their one job line, and the dashboards
are imported with their datasource variables set to other uids.

Variables are filled the way Grafana's "All" fills them (real values from label_values), `$__rate_interval`,
`$__interval` and `$__range` with short sane windows. Key panels must show what the exporter exposes AND
what the demo's simulated Sentry org holds (`build_demo_org`, the same seeded org the exporter serves);
then every query must succeed and return data.

The truth tests come first: the demo driver starts resolving and creating issues ~75 s after start,
and until then a freshly built demo org equals the exporter's.
"""
from __future__ import annotations

import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from dashboard_json import generated, imported, panels, prometheus_targets
from promstack import QueryError, resolve_variables, rules_for_job, start_exporter_demo, start_prometheus, substitute
from sentry_exporter.pollers.stats import billing_period_start
from sentry_simulator import build_demo_org
from sentry_simulator.demo import BAD_RELEASE
from tools import require_tool, sample_values, wait_for

# Panels that cannot show data yet, with the reason. The test reports them instead of failing, and fails
# once one of them shows data, so that it gets removed. Empty this when the metrics and demo data exist.
PENDING_PANELS: dict[tuple[str, str], str] = {}

DASHBOARDS = {uid: imported(dashboard) for uid, dashboard in generated().items()}
JOB = "sentry"  # the job name someone else's Prometheus scrapes the exporter under
ISSUES_PERIOD = 14 * 86400  # SENTRY_ISSUES_PERIOD's default
DATA_TIMEOUT = 60


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    binary = require_tool("prometheus")
    exporter = start_exporter_demo()
    prometheus = None
    try:
        workdir = tmp_path_factory.mktemp("prometheus")
        prometheus = start_prometheus(binary, workdir, [exporter.port], JOB, rules_for_job(JOB, workdir))
        # rate() needs a few samples: wait until Prometheus holds 5 scrapes of the exporter.
        wait_for(lambda: prometheus.instant(f'count_over_time(sentry_up{{job="{JOB}"}}[1m]) >= 5'),
                 30, interval=0.5, what="five scrapes of the exporter")
        yield prometheus, exporter
    finally:
        if prometheus:
            prometheus.stop()
        exporter.stop()


# ---------------------------------------------------------------- helpers

def target_expr(prometheus, uid, title, ref="A"):
    """A panel's query with its variables filled from label_values."""
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
    """Exposition samples summed by the given label names."""
    totals = defaultdict(float)
    for labels, value in samples.items():
        labels = dict(labels)
        totals[tuple(labels.get(n, "") for n in names)] += value
    return dict(totals)


def series_values(result, *names):
    return {tuple(r["metric"].get(n, "") for n in names): float(r["value"][1]) for r in result}


def demo_truth():
    """The demo org as the exporter's simulator holds it now (same seed, same relative history)."""
    now = time.time()
    return build_demo_org(now=now), now


# ---------------------------------------------------------------- key panels against the truth

def test_total_unresolved_equals_exposition_and_simulator(stack):
    prometheus, exporter = stack
    result, exposed = settled(prometheus, exporter,
                              target_expr(prometheus, "sentry-overview", "Unresolved issues"), "sentry_issues")
    org, now = demo_truth()
    shown = float(result[0]["value"][1])
    assert len(result) == 1
    assert shown == sum(exposed.values())
    assert shown == sum(org.truth_unresolved(ISSUES_PERIOD, now).values()) > 100


def test_unresolved_by_substatus_equals_exposition_and_simulator(stack):
    prometheus, exporter = stack
    result, exposed = settled(prometheus, exporter,
                              target_expr(prometheus, "sentry-overview", "Unresolved by substatus"), "sentry_issues")
    org, now = demo_truth()
    truth = Counter()
    for (_project, _level, substatus, _priority, _assignee), n in org.truth_unresolved(ISSUES_PERIOD, now).items():
        truth[(substatus,)] += float(n)
    shown = series_values(result, "substatus")
    assert shown == by_label(exposed, "substatus")
    assert shown == dict(truth)
    assert {"new", "ongoing", "regressed", "escalating"} <= {k[0] for k in shown}


def test_events_per_project_cover_exactly_the_projects_with_accepted_errors(stack):
    prometheus, exporter = stack
    org, now = demo_truth()
    truth = {project for (project, category, outcome), n in
             org.truth_outcomes(billing_period_start(now, 1), now + 3600).items()
             if category == "error" and outcome == "accepted" and n}
    exposed = {dict(k)["project"] for k, v in sample_values(exporter.metrics(), "sentry_events_total").items()
               if dict(k)["category"] == "error" and dict(k)["outcome"] == "accepted"}
    result = prometheus.range(target_expr(prometheus, "sentry-overview", "Accepted errors per project (stats)"))
    assert {r["metric"]["project"] for r in result} == exposed == truth
    assert all(float(v) >= 0 for r in result for _, v in r["values"])


def test_accepted_per_project_and_category_equals_the_exposed_counters(stack):
    prometheus, exporter = stack
    expr = target_expr(prometheus, "sentry-quota", "Accepted this period by project and category")
    result, exposed = settled(prometheus, exporter, expr, "sentry_events_total")
    accepted = {k: v for k, v in exposed.items() if dict(k)["outcome"] == "accepted"}
    assert series_values(result, "project", "category") == by_label(accepted, "project", "category")


def test_rate_limited_this_period_equals_the_simulator(stack):
    prometheus, _ = stack
    org, now = demo_truth()  # the demo driver never adds rate-limited events: this truth holds all along
    truth = sum(n for (_p, category, outcome), n in org.truth_outcomes(billing_period_start(now, 1), now + 3600).items()
                if outcome == "rate_limited" and category in ("error", "transaction"))
    result = prometheus.instant(target_expr(prometheus, "sentry-quota", "Rate-limited this period"))
    assert float(result[0]["value"][1]) == truth > 1000  # the demo's hour of quota trouble


def test_top_issues_table_rows_carry_events_title_and_permalink(stack):
    prometheus, exporter = stack
    result, events = settled(prometheus, exporter, target_expr(prometheus, "sentry-overview", "Top issues"),
                             "sentry_issue_window_events")
    info = {dict(k)["issue"]: dict(k) for k in sample_values(exporter.metrics(), "sentry_issue_info")}
    assert series_values(result, "issue", "project") == by_label(events, "issue", "project")
    for row in result:
        labels = row["metric"]
        assert labels["title"] == info[labels["issue"]]["title"]
        assert labels["permalink"] == info[labels["issue"]]["permalink"]
        assert labels["permalink"].startswith("http")


def test_paging_table_shows_the_demo_connector_issues_over_their_tier(stack):
    prometheus, _ = stack
    rows = prometheus.instant(target_expr(prometheus, "sentry-impact", "Issues over the paging threshold"))
    workspaces = {r["metric"]["title"]: float(r["value"][1]) for r in rows if r["metric"]["tag"] == "workspace_id"}
    # The demo seeds a GA connector issue seen by 4 workspaces (GA pages above 2) and a Beta one by 7 (above 5).
    assert workspaces["SyncError: destination rejected batch (GA connector)"] == 4
    assert workspaces["SchemaError: unexpected column type (Beta connector)"] == 7


def test_worst_release_is_the_demo_bad_release_at_its_true_crash_free_rate(stack):
    prometheus, _ = stack
    rows = prometheus.instant(target_expr(prometheus, "sentry-releases", "Worst releases (crash-free sessions)"))
    worst = min(rows, key=lambda r: float(r["value"][1]))
    org, now = demo_truth()
    truth = org.truth_sessions(now - 86400, now, project="mobile-app", release=BAD_RELEASE,
                               environment=worst["metric"]["environment"])
    assert worst["metric"]["release"] == BAD_RELEASE
    assert float(worst["value"][1]) == pytest.approx(truth["crash_free_sessions"], abs=0.01)


# ---------------------------------------------------------------- under another job name

def test_the_rules_follow_the_job_named_on_their_one_line(stack):
    """Scraped as job="sentry", the exporter is up for the dashboards and SentryExporterDown stays quiet
    (it would be pending by now, had the rules still looked for job="sentry-exporter")."""
    prometheus, _ = stack
    assert [r["metric"]["job"] for r in prometheus.instant("config:sentry_exporter_job:info")] == [JOB]
    scraped = prometheus.instant(target_expr(prometheus, "sentry-exporter-health", "Exporter scraped"))
    assert [float(r["value"][1]) for r in scraped] == [1]
    assert prometheus.instant('ALERTS{alertname="SentryExporterDown"}') == []
    assert prometheus.instant('ALERTS{alertname="Watchdog"}'), "the rules are evaluated"


# ---------------------------------------------------------------- every panel

def all_targets(prometheus):
    """(uid, panel title, refId, expr with variables filled, instant) for every Prometheus target,
    and the variables a non-pending panel needs that have no values."""
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
    """{(uid, title): [problems]}; an empty list means every target of the panel returned data."""
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
    while True:  # pollers fill in at their own pace
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
        warnings.warn("panels still pending: " + "; ".join(f"{u} / {t} ({PENDING_PANELS[u, t]})"
                                                            for u, t in still_pending))


def test_annotation_queries_are_valid_promql(stack):
    prometheus, _ = stack
    checked = 0
    for dashboard in DASHBOARDS.values():
        for annotation in dashboard["annotations"]["list"]:
            if annotation.get("datasource", {}).get("type") == "prometheus":
                prometheus.range(annotation["expr"])  # raises on a bad query; no alert need be firing
                checked += 1
    assert checked


def documented_queries() -> list[str]:
    """The PromQL docs/exporter.md gives for the users' six questions (comments stripped)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "exporter.md").read_text()
    block = text.split("```promql", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_documented_promql_answers_the_six_questions_on_real_data(stack):
    prometheus, _ = stack
    queries = documented_queries()
    assert len(queries) >= 8
    empty = [q for q in queries if not prometheus.instant(q)]
    assert not empty, f"docs/exporter.md queries with no answer on the demo org: {empty}"
