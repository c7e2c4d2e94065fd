"""Discover, sessions and stats_v2 as real Sentry answers them (CONTRACT §0.8-§0.12)."""

from __future__ import annotations

import pytest
from simapi import NOW, TOKEN, Api, parse_link

from sentry_simulator import FakeClock, Org, SimulatorServer, build_org
from sentry_simulator.switches import Behaviour

ORG = "organizations/acme/"
EVENTS = ORG + "events/"
HOUR = 3600


@pytest.fixture
def sim():
    org = build_org(slug="acme", projects=3, unresolved=60, seed=9, now=NOW)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        yield org, srv, Api(srv)


def test_without_discover_events_is_a_bare_404(sim):
    _, srv, api = sim
    srv.behaviour.discover = False
    response = api.get(EVENTS, {"dataset": "errors", "field": "count()"})
    assert (response.status_code, response.content) == (404, b"")


def test_without_global_views_multi_project_events_are_refused(sim):
    org, srv, api = sim
    srv.behaviour.global_views = False
    refused = api.get(EVENTS, {"dataset": "errors", "field": "count()", "statsPeriod": "24h"})
    assert refused.status_code == 400 and refused.json() == {"detail": "You cannot view events from multiple projects."}
    one = next(iter(org.projects.values()))
    assert api.get(EVENTS, {"dataset": "errors", "field": "count()", "project": one.id}).status_code == 200


def test_old_self_hosted_rejects_dataset_errors_and_answers_without_it(sim):
    _, srv, api = sim
    srv.behaviour = Behaviour.old_self_hosted()
    assert api.get(EVENTS, {"dataset": "errors", "field": "count()"}).status_code == 400
    assert api.json(EVENTS, {"field": "count()"})["data"]


def test_discover_rows_are_one_per_combination_and_paginated(sim):
    org, _, api = sim
    params = {"dataset": "errors", "field": ["issue", "tags[workspace_id]", "count()"], "statsPeriod": "14d",
              "sort": "-count()", "per_page": 100}
    pages = api.all_pages(EVENTS, params)
    rows = [(r["issue"], r["tags[workspace_id]"]) for p in pages for r in p.json()["data"]]
    assert len(pages) > 1 and len(rows) == len(set(rows))
    assert all(len(p.json()["data"]) <= 100 for p in pages)
    issues_with_rows = {issue for issue, _ in rows}
    assert len(issues_with_rows) < len(rows)  # several rows per issue: one page cannot label 100 issues


def _many_release_org(releases: int) -> Org:
    org = Org(slug="acme", environments=("production",))
    project = org.add_project("app")
    for n in range(releases):
        org.record_sessions(project.id, f"app@{n}", "production", NOW - 2 * HOUR, healthy=10 + n)
    return org


def test_sessions_keep_the_top_groups_within_10000_points_and_paginate():
    org = _many_release_org(500)
    params = {"field": "sum(session)", "groupBy": "release", "statsPeriod": "24h", "interval": "1h"}
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        api = Api(srv)
        first = api.get(ORG + "sessions/", params)
        body = first.json()
        groups = body["groups"]
        assert len(groups) * len(body["intervals"]) <= 10_000 < 500 * len(body["intervals"])
        sums = [g["totals"]["sum(session)"] for g in groups]
        assert sums == sorted(sums, reverse=True) and sums[0] == 10 + 499  # the top groups by sum(session)
        assert parse_link(first.headers["Link"])["next"]["results"] == "true"
        pages = api.all_pages(ORG + "sessions/", {**params, "per_page": 100})
        releases = [g["by"]["release"] for p in pages for g in p.json()["groups"]]
        assert len(pages) == 5 and sorted(releases) == sorted(f"app@{n}" for n in range(500))


def test_stats_totals_stop_at_10000_rows():
    org = Org(slug="acme", environments=("production",))
    for n in range(10_050):
        org.add_project(f"p{n}")
    for project in org.projects.values():
        org.record_outcome(project.id, "error", "accepted", 1, at=NOW - HOUR)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        response = Api(srv).get(ORG + "stats_v2/", {"field": "sum(quantity)", "groupBy": ["project", "category"],
                                                     "category": "error", "statsPeriod": "1d"})
    assert len(response.json()["groups"]) == 10_000 and "Link" not in response.headers  # and no pagination


def test_stats_count_byte_categories_beyond_attachments(sim):
    org, _, api = sim
    project = next(iter(org.projects.values()))
    org.record_outcome(project.id, "log_byte", "accepted", 4096, at=NOW - HOUR)
    body = api.json(ORG + "stats_v2/", {"field": "sum(quantity)", "groupBy": "category", "category": "log_byte",
                                        "statsPeriod": "1d"})
    assert [g["totals"]["sum(quantity)"] for g in body["groups"]] == [4096]


def test_old_stats_end_is_inclusive_plus_one_second(sim):
    org, srv, api = sim
    project = next(iter(org.projects.values()))
    end = (NOW // HOUR - 1) * HOUR
    start = end - 2 * HOUR
    org.record_outcome(project.id, "error", "accepted", 777, at=end + 60)  # just after the asked range
    params = {"field": "sum(quantity)", "groupBy": "category", "category": "error", "project": project.id,
              "start": _iso(start), "end": _iso(end)}
    exact = api.json(ORG + "stats_v2/", params)
    srv.behaviour.stats_inclusive_end = True
    old = api.json(ORG + "stats_v2/", params)
    assert len(old["intervals"]) == len(exact["intervals"]) + 1 and old["end"] == _iso(end + HOUR)
    assert old["groups"][0]["totals"]["sum(quantity)"] - exact["groups"][0]["totals"]["sum(quantity)"] >= 777


def _iso(ts):
    from datetime import datetime, timezone
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
