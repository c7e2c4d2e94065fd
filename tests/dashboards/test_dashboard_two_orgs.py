"""Two orgs in one Prometheus (issue 20, point 7): two real exporters, each polling its own simulated org
whose projects have the same slugs (and so the same issue short ids), scraped by one real Prometheus
under one job, with the project's rules. With one org picked in $org, every dashboard query returns
that org's series only, at that org's values; with both, the per-issue joins still hold.
"""
from __future__ import annotations

import time

import pytest
from dashboard_json import generated, imported, panels, prometheus_targets
from promstack import QueryError, resolve_variables, rules_for_job, start_prometheus, substitute
from sentry_simulator import SimulatorServer, build_org
from tools import TOKEN, ExporterProcess, require_tool, sample_values, wait_for

DASHBOARDS = {uid: imported(dashboard) for uid, dashboard in generated().items()}
JOB = "sentry"
ORGS = ("alpha", "beta")


@pytest.fixture(scope="module")
def two_orgs(tmp_path_factory):
    binary = require_tool("prometheus")
    orgs = {"alpha": build_org(slug="alpha", projects=2, unresolved=40, seed=3),
            "beta": build_org(slug="beta", projects=2, unresolved=70, seed=4)}
    assert len({tuple(sorted(p.slug for p in o.projects.values())) for o in orgs.values()}) == 1, "same slugs"
    servers, exporters, prometheus = [], {}, None
    try:
        for slug, org in orgs.items():
            server = SimulatorServer(org, host="127.0.0.1", port=0, token=TOKEN)
            server.start()
            servers.append(server)
            exporters[slug] = ExporterProcess({"SENTRY_URL": server.url, "SENTRY_AUTH_TOKEN": TOKEN,
                                               "SENTRY_ORG": slug, "SENTRY_POLL_INTERVAL_SECONDS": "1",
                                               "SENTRY_STATS_INTERVAL_SECONDS": "1"})
        for exporter in exporters.values():
            exporter.wait_ready()
        workdir = tmp_path_factory.mktemp("prometheus-two-orgs")
        prometheus = start_prometheus(binary, workdir, [e.port for e in exporters.values()], JOB,
                                      rules_for_job(JOB, workdir))
        wait_for(lambda: len(prometheus.instant("count by (instance) (count_over_time(sentry_up[1m]) >= 3)")) == 2,
                 30, interval=0.5, what="three scrapes of each exporter")
        yield prometheus, exporters
    finally:
        if prometheus:
            prometheus.stop()
        for exporter in exporters.values():
            exporter.stop()
        for server in servers:
            server.stop()


def run(prometheus, uid, title, org=None):
    """A panel's first target with the variables at All, or `org` picked."""
    dashboard = DASHBOARDS[uid]
    values, _ = resolve_variables(prometheus, dashboard, {"org": org} if org else None)
    panel = next(p for p in panels(dashboard) if p["title"] == title)
    target = panel["targets"][0]
    return prometheus.run({**target, "expr": substitute(target["expr"], values)})


def test_the_org_variable_lists_both_orgs(two_orgs):
    prometheus, _ = two_orgs
    for dashboard in DASHBOARDS.values():
        values, how = resolve_variables(prometheus, dashboard)
        assert how["org"] == "values" and values["org"] == "(alpha|beta)"


@pytest.mark.parametrize("org", ORGS)
def test_every_query_with_one_org_picked_returns_that_orgs_series_only(two_orgs, org):
    prometheus, _ = two_orgs
    leaked, answered = [], 0
    for uid, dashboard in DASHBOARDS.items():
        values, _ = resolve_variables(prometheus, dashboard, {"org": org})
        for panel, target in prometheus_targets(dashboard):
            expr = substitute(target["expr"], values)
            try:
                result = prometheus.run({"expr": expr, "instant": target.get("instant", False)})
            except QueryError as e:
                raise AssertionError(f"{uid} / {panel['title']}: {e} [{expr}]") from None
            answered += bool(result)
            leaked += [f"{uid} / {panel['title']}: {r['metric']}" for r in result
                       if r["metric"].get("org", org) != org]
    assert not leaked, "series of the other org:\n" + "\n".join(leaked)
    assert answered > 30


@pytest.mark.parametrize("org", ORGS)
def test_unresolved_issues_with_one_org_picked_is_that_orgs_count(two_orgs, org):
    prometheus, exporters = two_orgs
    exposed = {slug: sum(sample_values(e.metrics(), "sentry_issues").values()) for slug, e in exporters.items()}
    assert exposed["alpha"] != exposed["beta"]
    shown = wait_for(lambda: [float(r["value"][1]) for r in run(prometheus, "sentry-overview", "Unresolved issues",
                                                                     org)] == [exposed[org]] or None,
                     10, what=f"the panel to show {org}'s {exposed[org]} issues")
    assert shown


def test_top_issues_join_with_both_orgs_despite_the_same_short_ids(two_orgs):
    prometheus, exporters = two_orgs
    top = {slug: {dict(k)["issue"] for k in sample_values(e.metrics(), "sentry_issue_info")}
           for slug, e in exporters.items()}
    shared = top["alpha"] & top["beta"]
    assert shared, "the two orgs' top issues should share short ids, as same-slug projects do"
    titles = {slug: {dict(k)["issue"]: dict(k)["title"] for k in sample_values(e.metrics(), "sentry_issue_info")}
              for slug, e in exporters.items()}
    rows = run(prometheus, "sentry-overview", "Top issues")  # a many-to-many join raises QueryError here
    assert {(org, issue) for org in ORGS for issue in shared} <= {(r["metric"]["org"], r["metric"]["issue"])
                                                                  for r in rows}
    for row in rows:  # each row's title is its own org's issue's
        labels = row["metric"]
        assert labels["title"] == titles[labels["org"]][labels["issue"]]


def test_scrape_targets_follow_the_org(two_orgs):
    """`up` has no org: the exporter-health panel keeps the targets of the picked org only."""
    prometheus, exporters = two_orgs
    for org, exporter in exporters.items():
        rows = run(prometheus, "sentry-exporter-health", "Exporter scraped", org)
        assert [float(r["value"][1]) for r in rows] == [1]
    exporters["beta"].stop()
    time.sleep(3)  # a few failed scrapes of beta
    assert [float(r["value"][1]) for r in run(prometheus, "sentry-exporter-health", "Exporter scraped", "alpha")] \
        == [1]
    assert [float(r["value"][1]) for r in run(prometheus, "sentry-exporter-health", "Exporter scraped", "beta")] \
        == [0]
