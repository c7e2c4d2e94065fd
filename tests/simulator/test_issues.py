"""What the issue endpoints count and filter, checked against the model (CONTRACT §4b, §4c, §5)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from simapi import NOW, TOKEN, Api

from sentry_simulator import FakeClock, Org, SimulatorServer
from sentry_simulator.generate import team, user

ISSUES = "organizations/acme/issues/"
HOUR, DAY = 3600, 86400


def _ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _all(api, params):
    return [issue for page in api.all_pages(ISSUES, params) for issue in page.json()]


def _label(issue):
    assignee = issue["assignedTo"]
    return (issue["project"]["slug"], issue["level"], issue["substatus"], issue["priority"],
            assignee["name"] if assignee else "unassigned")


@pytest.mark.parametrize("period, environment", [("14d", None), ("24h", None), ("24h", "staging")])
def test_unresolved_counts_by_label_match_the_model(api, org, period, environment):
    params = {"query": "is:unresolved", "statsPeriod": period}
    if environment:
        params["environment"] = environment
    seconds = 14 * DAY if period == "14d" else DAY
    got = Counter(_label(issue) for issue in _all(api, params))
    assert got == org.truth_unresolved(seconds, NOW, environment=environment)
    assert sum(got.values()) > 10


def test_counts_are_strings_and_follow_the_window(api, org):
    for issue in api.json(ISSUES, {"query": "is:unresolved", "statsPeriod": "24h"}):
        assert isinstance(issue["count"], str) and isinstance(issue["userCount"], int)
        window = org.truth_issue_window(int(issue["id"]), NOW - DAY, NOW)
        life = org.truth_issue_window(int(issue["id"]), 0, NOW)
        assert int(issue["count"]) == window.count and issue["userCount"] == window.users
        assert abs(_ts(issue["lastSeen"]) - window.last_seen) < 1e-3
        assert issue["lifetime"]["count"] == str(life.count)
        assert abs(_ts(issue["lifetime"]["firstSeen"]) - life.first_seen) < 1e-3
        assert issue["filtered"] is None  # is:unresolved is postgres-only


def test_absent_query_applies_the_default_priority_filter(api):
    default = _all(api, {"statsPeriod": "14d"})
    explicit = _all(api, {"statsPeriod": "14d", "query": "is:unresolved"})
    assert {i["priority"] for i in default} == {"high", "medium"}
    assert "low" in {i["priority"] for i in explicit}
    assert [i["id"] for i in default] == [i["id"] for i in explicit if i["priority"] in ("high", "medium")]


def test_empty_query_means_no_filter(api):
    statuses = {i["status"] for i in _all(api, {"statsPeriod": "90d", "query": ""})}
    assert statuses == {"unresolved", "resolved", "ignored"}


@pytest.mark.parametrize("query, check", [
    ("is:resolved", lambda i: i["status"] == "resolved"),
    ("is:ignored", lambda i: i["status"] == "ignored"),
    ("is:archived", lambda i: i["status"] == "ignored"),
    ("is:unresolved is:assigned", lambda i: i["status"] == "unresolved" and i["assignedTo"] is not None),
    ("is:unassigned", lambda i: i["assignedTo"] is None),
    ("level:fatal", lambda i: i["level"] == "fatal"),
    ("level:[warning, info]", lambda i: i["level"] in ("warning", "info")),
    ("!level:error", lambda i: i["level"] != "error"),
    ("issue.priority:[high,medium]", lambda i: i["priority"] in ("high", "medium")),
    ("project:billing", lambda i: i["project"]["slug"] == "billing"),
    ("assigned:#team-b", lambda i: i["assignedTo"] == {"type": "team", "id": "2", "name": "team-b"}),
    ("firstSeen:-24h", lambda i: NOW - _ts(i["lifetime"]["firstSeen"]) <= DAY),
    ("age:-24h", lambda i: NOW - _ts(i["lifetime"]["firstSeen"]) <= DAY),
    ("lastSeen:-2d", lambda i: NOW - _ts(i["lifetime"]["lastSeen"]) <= 2 * DAY),
    ("lastSeen:+5d", lambda i: NOW - _ts(i["lifetime"]["lastSeen"]) >= 5 * DAY),
    ("TimeoutError", lambda i: "timeouterror" in i["title"].lower()),
    ("timesSeen:>100", lambda i: int(i["count"]) > 100),
])
def test_query_filters(api, org, query, check):
    found = _all(api, {"query": query, "statsPeriod": "90d"})
    assert found, f"{query!r} matched nothing: the fixture should cover it"
    assert all(check(i) for i in found), query
    every = _all(api, {"query": "", "statsPeriod": "90d"})
    assert len([i for i in every if check(i)]) == len(found), f"{query!r} missed some issues"


def test_tag_filter_sets_filtered_and_counts_only_matching_events(api, org):
    found = _all(api, {"query": "is:unresolved release_stage:Beta workspace_id:ws-3", "statsPeriod": "90d"})
    assert found
    for issue in found:
        assert issue["filtered"] is not None
        assert int(issue["filtered"]["count"]) <= int(issue["count"])
        model = org.issues[int(issue["id"])]
        assert any(dict(tags).get("workspace_id") == "ws-3" for *_, tags in model.batches)


def test_environment_filter_counts_only_that_environment(api, org):
    for issue in api.json(ISSUES, {"query": "", "statsPeriod": "14d", "environment": "staging"}):
        window = org.truth_issue_window(int(issue["id"]), NOW - 14 * DAY, NOW, environment="staging")
        assert int(issue["count"]) == window.count > 0


def test_stats_sparklines(api, org):
    issue = api.json(ISSUES, {"query": "is:unresolved", "statsPeriod": "24h", "limit": 1})[0]
    points = issue["stats"]["24h"]
    assert len(points) == 24 and all(len(p) == 2 for p in points)
    assert points[-1][0] == NOW // HOUR * HOUR and points[1][0] - points[0][0] == HOUR
    assert sum(n for _, n in points) == org.truth_issue_window(int(issue["id"]), points[0][0], NOW).count
    daily = api.json(ISSUES, {"query": "is:unresolved", "groupStatsPeriod": "14d", "limit": 1})[0]["stats"]
    assert list(daily) == ["14d"] and len(daily["14d"]) == 14 and daily["14d"][1][0] - daily["14d"][0][0] == DAY
    auto = api.json(ISSUES, {"query": "is:unresolved", "groupStatsPeriod": "auto", "limit": 1})[0]["stats"]
    assert list(auto) == ["auto"]
    assert "stats" not in api.json(ISSUES, {"query": "is:unresolved", "groupStatsPeriod": "", "limit": 1})[0]


def test_collapse_stats_removes_counts(api):
    issue = api.json(ISSUES, {"query": "is:unresolved", "collapse": "stats", "limit": 1})[0]
    assert not {"count", "userCount", "firstSeen", "lastSeen", "stats", "lifetime", "filtered"} & set(issue)


def test_project_filter_by_id_all_and_omitted(api, org):
    """-1 is every project the token can see; an omitted project only those of the token user's teams
    (CONTRACT §0.15, src/sentry/api/bases/organization.py _get_projects_by_id)."""
    billing = org.project("billing")
    only = _all(api, {"query": "", "project": billing.id})
    assert only and {i["project"]["id"] for i in only} == {billing.id}
    everyone = _all(api, {"query": "", "project": "-1"})
    assert {i["project"]["slug"] for i in everyone} == {p.slug for p in org.projects.values()}
    team_of_billing = billing.teams[0]
    org.set_member_teams({team_of_billing})
    try:
        omitted = _all(api, {"query": ""})
        assert len(_all(api, {"query": "", "project": "-1"})) == len(everyone)
    finally:
        org.set_member_teams(None)
    assert {i["project"]["slug"] for i in omitted} == {p.slug for p in org.projects.values()
                                                       if team_of_billing in p.teams}
    assert 0 < len(omitted) < len(everyone)


def test_mutations_show_up_in_the_next_request():
    org = Org(slug="acme", environments=("production",))
    project = org.add_project("api")
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        api = Api(srv)
        assert api.json(ISSUES, {"query": ""}) == []
        issue = org.create_issue(project, level="fatal", title="Boom", assignee=team("team-a"))
        org.record_events(issue.id, 7, at=NOW - 60, users=3, tags={"workspace_id": "w1"})
        (got,) = api.json(ISSUES, {"query": "", "statsPeriod": "1h"})
        assert (got["count"], got["userCount"], got["assignedTo"]["name"], got["substatus"]) == ("7", 3, "team-a", "new")
        assert got["shortId"] == "API-1"
        org.assign(issue.id, user(0))
        org.set_status(issue.id, "resolved")
        assert api.json(ISSUES, {"query": "is:unresolved"}) == []
        (got,) = api.json(ISSUES, {"query": "is:resolved"})
        assert (got["status"], got["substatus"], got["assignedTo"]["type"]) == ("resolved", None, "user")


def test_short_id_lookup_is_a_direct_hit_without_link(api, org):
    issue = next(i for i in org.issues.values() if i.status == "unresolved")
    response = api.get(ISSUES, {"query": issue.short_id, "shortIdLookup": "1"})
    assert response.headers["X-Sentry-Direct-Hit"] == "1" and "Link" not in response.headers
    assert [i["id"] for i in response.json()] == [str(issue.id)]
