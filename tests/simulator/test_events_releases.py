"""Discover (CONTRACT §4e), releases and sessions (§4f), checked against the model."""

from __future__ import annotations

from datetime import datetime

from simapi import NOW, TOKEN, Api, assert_valid, parse_link, response_schema

from sentry_simulator import FakeClock, Org, SimulatorServer
from sentry_simulator.model import tag_get as tag_of

EVENTS = "organizations/acme/events/"
DAY = 86400


def test_distinct_tag_values_per_top_issue_match_the_model(api, org):
    top = org.truth_top_issues(DAY, NOW, n=10)
    body = api.json(EVENTS, {
        "dataset": "errors", "statsPeriod": "24h", "sort": "-count()",
        "field": ["issue", "count()", "count_unique(user)", "count_unique(tags[workspace_id])", "count_unique(tenant_id)"],
        "query": "issue:[" + ",".join(i.short_id for i in top) + "]"})
    rows = {row["issue"]: row for row in body["data"]}
    assert set(rows) == {i.short_id for i in top}
    for issue in top:
        row = rows[issue.short_id]
        window = org.truth_issue_window(issue.id, NOW - DAY, NOW)
        assert (row["count()"], row["count_unique(user)"]) == (window.count, window.users)
        assert row["count_unique(tags[workspace_id])"] == org.truth_tag_values(issue.id, "workspace_id", NOW)
        assert row["count_unique(tenant_id)"] == org.truth_tag_values(issue.id, "tenant_id", NOW)
    counts = [row["count()"] for row in body["data"]]
    assert counts == sorted(counts, reverse=True)
    assert body["meta"]["fields"]["count()"] == "integer" and body["meta"]["fields"]["issue"] == "string"


def test_an_aggregate_filter_keeps_the_groups_over_it_sorted_by_the_aggregate(api, org, openapi):
    """`count_unique(tags[workspace_id]):>1` is a HAVING on the grouped rows (event_search.py's
    aggregate_numeric_filter; builder/base.py resolve_having): every (issue, tier) over it, on every page,
    and none under it."""
    unique = "count_unique(tags[workspace_id])"
    params = {"dataset": "errors", "statsPeriod": "14d", "sort": f"-{unique}", "per_page": 5,
              "field": ["issue", "tags[release_stage]", unique], "query": f"{unique}:>1"}
    pages = api.all_pages(EVENTS, params)
    data = [row for page in pages for row in page.json()["data"]]
    for page in pages:
        assert_valid(response_schema(openapi, "/api/0/organizations/{organization_id_or_slug}/events/"), page.json())
    expected = {}
    for issue in org.issues.values():
        for stage in {tag_of(tags, "release_stage") for ts, _, _, _, tags in issue.batches if NOW - 14 * DAY <= ts < NOW}:
            n = org.truth_tag_values(issue.id, "workspace_id", NOW, 14 * DAY, where={"release_stage": stage})
            if n > 1:
                expected[(issue.short_id, stage)] = n
    assert len(pages) > 1 and len(expected) > 5
    assert {(r["issue"], r["tags[release_stage]"]): r[unique] for r in data} == expected
    assert [r[unique] for r in data] == sorted((r[unique] for r in data), reverse=True)


def test_aggregate_filters_negate_need_no_selection_and_join_other_filters(api, org):
    top = org.truth_top_issues(DAY, NOW, n=30)
    base = {"dataset": "errors", "statsPeriod": "24h", "field": ["issue", "count()"], "sort": "-count()",
            "query": "issue:[" + ",".join(i.short_id for i in top) + "]"}
    every = {r["issue"]: r["count()"] for r in api.json(EVENTS, base)["data"]}
    over = {k: v for k, v in every.items() if v > 10}
    assert over and len(over) < len(every)
    for query in ("count():>10", "!count():<=10", "count():>0.01k"):
        rows = api.json(EVENTS, {**base, "query": f"{base['query']} {query}"})["data"]
        assert {r["issue"]: r["count()"] for r in rows} == over, query
    unselected = api.json(EVENTS, {**base, "field": ["issue"], "sort": "issue",
                                   "query": f"{base['query']} count():>10"})["data"]
    assert {r["issue"] for r in unselected} == set(over)


def test_group_by_tags_with_has_and_issue_id_filters():
    org = Org(slug="acme", environments=("production", "staging"))
    project = org.add_project("connectors")
    ga = org.create_issue(project, title="GA sync failure")
    beta = org.create_issue(project, title="Beta sync failure")
    for ws in ("w1", "w2", "w3"):
        org.record_events(ga.id, 2, at=NOW - 100, tags={"release_stage": "GA", "workspace_id": ws})
    org.record_events(ga.id, 5, at=NOW - 100, environment="staging", tags={"release_stage": "GA"})
    org.record_events(beta.id, 1, at=NOW - 3 * DAY, tags={"release_stage": "Beta", "workspace_id": "w9"})
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        api = Api(srv)

        def rows(**params):
            return api.json(EVENTS, {"dataset": "errors", **params})["data"]
        assert rows(field=["release_stage", "count()"], statsPeriod="24h") == [{"release_stage": "GA", "count()": 11}]
        assert rows(field=["issue.id", "count_unique(workspace_id)"], query="has:workspace_id", statsPeriod="7d",
                    sort="issue.id") == [{"issue.id": ga.id, "count_unique(workspace_id)": 3},
                                         {"issue.id": beta.id, "count_unique(workspace_id)": 1}]
        assert rows(field=["environment", "count()"], query=f"issue.id:{ga.id} !has:workspace_id",
                    statsPeriod="24h") == [{"environment": "staging", "count()": 5}]
        assert rows(field=["issue", "count()"], statsPeriod="24h", environment="production",
                    query="release_stage:GA") == [{"issue": ga.short_id, "count()": 6}]


def test_events_paginate_with_offset_cursors(api):
    params = {"dataset": "errors", "field": ["issue", "count()"], "statsPeriod": "14d", "per_page": 25,
              "sort": "-count()"}
    pages = api.all_pages(EVENTS, params)
    issues = [row["issue"] for page in pages for row in page.json()["data"]]
    assert len(pages) > 1 and len(issues) == len(set(issues))
    assert parse_link(pages[0].headers["Link"])["next"]["cursor"] == "0:25:0"


def test_events_errors(api):
    too_many = api.get(EVENTS, {"dataset": "errors", "field": [f"tags[t{i}]" for i in range(21)]})
    assert too_many.status_code == 400
    assert api.get(EVENTS, {"dataset": "errors", "field": "count()", "per_page": 101}).status_code == 400


def test_releases_newest_first_with_int_project_ids(api, org):
    plain = api.json("organizations/acme/releases/", {"per_page": 100})
    created = [r["dateCreated"] for r in plain]
    assert created == sorted(created, reverse=True) and len(plain) == len(org.releases)
    assert all("healthData" not in p for r in plain for p in r["projects"])
    assert all(isinstance(p["id"], int) for r in plain for p in r["projects"])
    billing = api.json("organizations/acme/releases/", {"project": org.project("billing").id})
    assert billing and {r["projects"][0]["slug"] for r in billing} == {"billing"}


def test_sessions_crash_free_rates_match_the_model(api, org):
    body = api.json("organizations/acme/sessions/", {
        "field": ["sum(session)", "count_unique(user)", "crash_free_rate(session)", "crash_free_rate(user)"],
        "groupBy": ["project", "release"], "statsPeriod": "24h", "interval": "1h"})
    assert body["groups"]
    start, end = _ts(body["start"]), _ts(body["end"])
    for group in body["groups"]:
        project, release = group["by"]["project"], group["by"]["release"]
        assert isinstance(project, int)
        truth = org.truth_sessions(start, end, project=project, release=release)
        totals = group["totals"]
        assert totals["sum(session)"] == truth["sessions"]
        assert totals["count_unique(user)"] == truth["users"]
        assert abs(totals["crash_free_rate(session)"] - truth["crash_free_sessions"]) < 1e-9
        assert 0 <= totals["crash_free_rate(user)"] <= 1
        assert len(group["series"]["sum(session)"]) == len(body["intervals"])


def test_sessions_release_query_and_status_groups(api, org):
    release = org.releases[-1].version
    body = api.json("organizations/acme/sessions/", {"field": ["sum(session)", "crash_free_rate(session)"],
                                                     "groupBy": "session.status", "statsPeriod": "24h",
                                                     "query": f"release:[{release}]", "includeSeries": "0"})
    by_status = {g["by"]["session.status"]: g["totals"] for g in body["groups"]}
    truth = org.truth_sessions(_ts(body["start"]), _ts(body["end"]), release=release)
    assert sum(t["sum(session)"] for t in by_status.values()) == truth["sessions"]
    assert by_status["crashed"]["sum(session)"] == truth["crashed"]
    assert all(t["crash_free_rate(session)"] is None for t in by_status.values())
    assert all("sum(session)" in g["series"] for g in body["groups"])  # includeSeries=0 is ignored (§0.8)


def _ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
