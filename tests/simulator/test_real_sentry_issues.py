"""Issue-list behaviours of real Sentry that the exporter must survive (CONTRACT §0.1, §0.6, §0.7, §0.10, §0.11)."""

from __future__ import annotations

import copy

import pytest
from simapi import NOW, TOKEN, Api, assert_valid, parse_link, response_schema

from sentry_simulator import FakeClock, Org, SimulatorServer, build_org
from sentry_simulator.switches import Behaviour

ISSUES = "organizations/acme/issues/"
SCHEMA_PATH = "/api/0/organizations/{organization_id_or_slug}/issues/"
EXPAND_ONLY = {"inbox", "owners", "integrationIssues", "sentryAppIssues", "latestEventHasAttachments",
               "sessionCount"}


def _two_env_org():
    org = Org(slug="acme", environments=("production", "staging"))
    project = org.add_project("api")
    issue = org.create_issue(project, title="Boom")
    org.record_events(issue.id, 5, at=NOW - 3600, environment="production", users=2)
    org.record_events(issue.id, 7, at=NOW - 600, environment="staging", users=4)
    return org, issue


def test_lifetime_count_is_global_but_window_counts_are_per_environment():
    org, issue = _two_env_org()
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        (got,) = Api(srv).json(ISSUES, {"query": "", "statsPeriod": "24h", "environment": "production"})
    assert got["lifetime"]["count"] == "12"           # times_seen over every environment
    assert (got["count"], got["userCount"]) == ("5", 2)  # the window is per environment
    assert got["lifetime"]["userCount"] == 2 and got["lifetime"]["lastSeen"] == got["lastSeen"]


@pytest.fixture
def sim():
    org = build_org(slug="acme", projects=3, unresolved=250, resolved=10, seed=5, now=NOW)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        yield org, srv, Api(srv)


def test_group_lookup_returns_exactly_those_issues_with_current_status(sim):
    org, _, api = sim
    unresolved, resolved, ignored, merged, deleted = [i.id for i in org.issues.values()][:5]
    org.set_status(resolved, "resolved", at=NOW)
    org.set_status(ignored, "ignored", at=NOW)
    org.merge_issues(unresolved, merged)
    org.delete_issue(deleted)
    ids = [unresolved, resolved, ignored, merged, deleted]
    body = api.json(ISSUES, {"group": [str(i) for i in ids], "query": "is:unresolved", "statsPeriod": "1h"})
    assert {int(i["id"]): i["status"] for i in body} == {unresolved: "unresolved", resolved: "resolved",
                                                         ignored: "ignored"}
    assert "Link" not in api.get(ISSUES, {"group": str(unresolved)}).headers


def test_group_lookup_ignores_other_projects_and_rejects_non_integers(sim):
    org, _, api = sim
    issue = next(iter(org.issues.values()))
    other = next(p for p in org.projects.values() if p is not issue.project)
    assert api.json(ISSUES, {"group": str(issue.id), "project": other.id}) == []
    bad = api.get(ISSUES, {"group": [str(issue.id), "ACME-1"]})
    assert bad.status_code == 400 and bad.json() == {"detail": "Group ids must be integers"}


def test_a_cut_listing_ends_early_and_says_no_more(sim):
    org, srv, api = sim
    params = {"query": "is:unresolved", "statsPeriod": "14d", "limit": 100}
    full = [i["id"] for page in api.all_pages(ISSUES, params) for i in page.json()]
    assert len(full) > 150
    srv.behaviour.listing_cut = 150
    pages = api.all_pages(ISSUES, params)
    assert [len(p.json()) for p in pages] == [100, 50]
    assert parse_link(pages[-1].headers["Link"])["next"]["results"] == "false"
    assert [i["id"] for p in pages for i in p.json()] == full[:150]


def test_slow_pages_take_their_time(sim):
    _, srv, api = sim
    srv.faults.set(slow_seconds=0.3, endpoint="issues")
    response = api.get(ISSUES, {"query": "", "limit": 5})
    assert response.status_code == 200 and response.elapsed.total_seconds() >= 0.3
    assert srv.request_log[-1].fault == "slow"


def test_without_global_views_multi_project_issue_queries_are_refused(sim):
    org, srv, api = sim
    srv.behaviour.global_views = False
    refused = api.get(ISSUES, {"query": ""})
    assert refused.status_code == 400
    assert refused.json() == {"detail": "You do not have the multi project stream feature enabled"}
    one = next(iter(org.projects.values()))
    assert api.get(ISSUES, {"query": "", "project": one.id}).status_code == 200


def test_old_self_hosted_issues_have_no_substatus_or_priority(sim, openapi):
    _, srv, api = sim
    srv.behaviour = Behaviour.old_self_hosted()
    body = api.json(ISSUES, {"query": "", "statsPeriod": "14d"})
    assert body and not {"substatus", "priority", "priorityLockedAt"} & set(body[0])
    # The rest still follows the published schema.
    schema = copy.deepcopy(response_schema(openapi, SCHEMA_PATH))
    gone = EXPAND_ONLY | {"substatus", "priority", "priorityLockedAt"}
    schema["items"]["required"] = [r for r in schema["items"]["required"] if r not in gone]
    assert_valid(schema, body)
