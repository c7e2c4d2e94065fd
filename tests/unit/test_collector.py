"""Poll results built by hand, through the snapshot and the collector: the metric families they give."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from sentry_exporter.cardinality import cap_tag_values, cap_top
from sentry_exporter.collector import SentryCollector
from sentry_exporter.config import Config
from sentry_exporter.pollers.impact import ImpactResult, ImpactRow
from sentry_exporter.pollers.issues import Issue, IssuesResult
from sentry_exporter.pollers.releases import ReleaseHealth, ReleasesResult
from sentry_exporter.pollers.stats import StatsResult
from sentry_exporter.sentry.client import ApiStats
from sentry_exporter.snapshot import SnapshotStore

CONFIG = Config(sentry_url="https://sentry.invalid", org="acme", token="t", quota_budgets=(("error", 1000),))


def issue(n: int, project: str = "api", first_seen: float | None = 1.0) -> Issue:
    return Issue(id=str(n), short_id=f"API-{n}", project=project, title="KeyError", culprit="app.py", level="error",
                 substatus="ongoing", priority="high", assignee="ann", permalink=f"https://s/{n}", events=10 * n,
                 users=n, lifetime_events=20 * n, first_seen=first_seen, last_seen=2.0)


def issues_result(**changes) -> IssuesResult:
    fields = dict(counts={("api", "error", "ongoing", "high", "ann"): 3}, by_environment=False,
                  top=(issue(2), issue(1)), truncated={"default": False}, query_counts={}, new_24h={"api": 1},
                  transitions={("api", "error", "new"): 1}, events_total={("api", "error"): 7},
                  assignees={"API-1": "ann"}, dropped={"sentry_issues": 0})
    return IssuesResult(**{**fields, **changes})


def registry_of(store: SnapshotStore) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SentryCollector(store, ApiStats(), dict, CONFIG))
    return registry


@pytest.fixture
def store() -> SnapshotStore:
    return SnapshotStore(("issues", "stats", "releases", "impact"))


def test_an_issues_result_becomes_its_families(store):
    store.record("issues", True, 0.5, 100.0, issues_result(), trace_id="ab" * 16)
    r = registry_of(store)
    assert r.get_sample_value("sentry_issues", {"project": "api", "level": "error", "substatus": "ongoing",
                                                "priority": "high", "assignee": "ann"}) == 3
    assert r.get_sample_value("sentry_issue_window_events", {"issue": "API-2", "project": "api"}) == 20
    assert r.get_sample_value("sentry_issue_transitions_total", {"project": "api", "level": "error",
                                                                 "transition": "new"}) == 1
    assert r.get_sample_value("sentry_issue_events_total", {"project": "api", "level": "error"}) == 7
    assert r.get_sample_value("sentry_issues_truncated", {"query": "default"}) == 0
    assert r.get_sample_value("sentry_last_success_timestamp_seconds", {"poller": "issues"}) == 100.0
    assert r.get_sample_value("sentry_polls_total", {"poller": "issues", "result": "success"}) == 1
    assert r.get_sample_value("sentry_up") == 0  # the other pollers have not run yet
    assert r.get_sample_value("sentry_query_issues", {"query": "x", "project": "api"}) is None  # no queries


def test_a_failure_keeps_the_last_good_result(store):
    store.record("stats", True, 0.1, 100.0, StatsResult({("api", "error", "accepted"): 9}, 50.0, 1))
    store.record("stats", False, 0.1, 200.0)
    r = registry_of(store)
    assert r.get_sample_value("sentry_events_total", {"project": "api", "category": "error",
                                                      "outcome": "accepted"}) == 9
    assert r.get_sample_value("sentry_poll_success", {"poller": "stats"}) == 0
    assert r.get_sample_value("sentry_last_success_timestamp_seconds", {"poller": "stats"}) == 100.0
    assert r.get_sample_value("sentry_polls_total", {"poller": "stats", "result": "failure"}) == 1
    assert r.get_sample_value("sentry_quota_budget_events", {"category": "error"}) == 1000


def test_sentry_up_once_every_poller_succeeded(store):
    for name, result in (("issues", issues_result()), ("stats", StatsResult({}, 0.0, 1)),
                         ("releases", ReleasesResult({}, ())), ("impact", ImpactResult((), (), {}, {}))):
        store.record(name, True, 0.1, 1.0, result)
    assert registry_of(store).get_sample_value("sentry_up") == 1 and store.ready()


def test_impact_rows_take_their_owner_from_the_issues_result(store):
    rows = (ImpactRow("API-1", "api", {"workspace_id": 4}, {"release_stage": "ga"}),
            ImpactRow("API-9", "api", {"workspace_id": 1}, {"release_stage": ""}))
    store.record("impact", True, 0.1, 1.0, ImpactResult(rows, ("release_stage",), {}, {}))
    store.record("issues", True, 0.1, 1.0, issues_result())
    r = registry_of(store)
    labels = {"project": "api", "tag": "workspace_id"}
    assert r.get_sample_value("sentry_issue_tag_values", {**labels, "issue": "API-1", "assignee": "ann",
                                                          "release_stage": "ga"}) == 4
    assert r.get_sample_value("sentry_issue_tag_values", {**labels, "issue": "API-9", "assignee": "unknown",
                                                          "release_stage": ""}) == 1


def test_releases_without_crash_rates_have_no_ratio_series(store):
    health = (ReleaseHealth("api", "1.0", "production", 10, 0.9, None),)
    store.record("releases", True, 0.1, 1.0, ReleasesResult({"api": ("1.0", "0.9")}, health))
    r = registry_of(store)
    key = {"project": "api", "release": "1.0", "environment": "production"}
    assert r.get_sample_value("sentry_release_crash_free_sessions_ratio", key) == 0.9
    assert r.get_sample_value("sentry_release_crash_free_users_ratio", key) is None
    assert r.get_sample_value("sentry_release_info", {"project": "api", "release": "0.9", "latest": "false"}) == 1


def test_dropped_series_are_counted_where_the_result_is_capped(store):
    top, dropped_top = cap_top([issue(3), issue(2, first_seen=None), issue(1)], cap=1)
    rows, dropped_tags = cap_tag_values([ImpactRow("API-1", "api", {"a": 1, "b": 2}, {}),
                                         ImpactRow("API-2", "api", {"a": 3}, {})], cap=1)
    assert [i.short_id for i in top] == ["API-3"] and [r.issue for r in rows] == ["API-2"]
    store.record("issues", True, 0.1, 1.0, issues_result(top=top, dropped={"sentry_issues": 4, **dropped_top}))
    store.record("impact", True, 0.1, 1.0, ImpactResult(rows, (), dropped_tags, {}))
    r = registry_of(store)
    dropped = {m: r.get_sample_value("sentry_series_dropped", {"metric": m}) for m in (
        "sentry_issues", "sentry_issue_window_events", "sentry_issue_first_seen_timestamp_seconds", "sentry_issue_info",
        "sentry_issue_tag_values", "sentry_issue_users")}
    assert dropped == {"sentry_issues": 4, "sentry_issue_window_events": 2,
                       "sentry_issue_first_seen_timestamp_seconds": 1, "sentry_issue_info": 2,
                       "sentry_issue_tag_values": 2, "sentry_issue_users": 2}
    assert r.get_sample_value("sentry_issue_window_events", {"issue": "API-2", "project": "api"}) is None


def test_no_result_no_families_but_the_guard_reports_zeros(store):
    r = registry_of(store)
    assert r.get_sample_value("sentry_issues_new_24h", {"project": "api"}) is None
    assert r.get_sample_value("sentry_series_dropped", {"metric": "sentry_issues"}) == 0


def test_a_poller_without_a_results_field_is_refused():
    with pytest.raises(ValueError, match="crons"):
        SnapshotStore(("issues", "crons"))
