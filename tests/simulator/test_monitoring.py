"""Crons monitors and check-ins, detectors, deploys and Discover's uptime_results (CONTRACT §0.14),
checked against the published schema and the model."""

from __future__ import annotations

import copy

import pytest
from openapi_schema_validator import OAS30Validator
from simapi import NOW, TOKEN, Api, assert_valid, parse_link, response_schema

from sentry_simulator import Behaviour, FakeClock, SimulatorServer, build_org
from sentry_simulator.generate import team

ORG = "/api/0/organizations/{organization_id_or_slug}/"
MINUTE = 60


def monitoring_org():
    """Three monitors: one that checks in fine, one that fails, one that never checked in; two uptime
    monitors, one down; a release with two deploys."""
    org = build_org(slug="acme", projects=4, unresolved=20, resolved=0, seed=3, now=NOW)
    org.add_monitor("nightly-export", "billing", interval_minutes=5, owner=team("team-d"), created=NOW - 86400)
    org.add_monitor("sync-connectors", "connectors", interval_minutes=10, failure_issue_threshold=2,
                    created=NOW - 86400, owner=team("team-c"))
    org.add_monitor("warm-cache", "web-frontend", interval_minutes=15, created=NOW - 3600)
    for slot in range(12):  # an hour of check-ins, the last one missed
        at = NOW - 3600 + slot * 5 * MINUTE
        status = "missed" if slot == 11 else "ok"
        org.record_checkin("nightly-export", status, at=at, duration_ms=None if status == "missed" else 1200 + slot)
    for slot in range(6):
        at = NOW - 3600 + slot * 10 * MINUTE
        org.record_checkin("sync-connectors", "ok" if slot < 3 else ("error" if slot < 5 else "timeout"), at=at,
                           duration_ms=30_000 + slot)
    org.record_checkin("sync-connectors", "ok", at=NOW - 3000, environment="staging", duration_ms=900)
    org.mute_monitor("sync-connectors", "staging")
    running = org.record_checkin("nightly-export", "in_progress", at=NOW - 60, environment="staging")
    assert running.status == "in_progress"
    api = org.add_uptime_monitor("API health", "billing", "https://api.example.com/health", owner=team("team-d"))
    web = org.add_uptime_monitor("Website", "web-frontend", "https://www.example.com/", downtime_threshold=2)
    for index in range(10):
        at = NOW - 600 + index * MINUTE
        org.record_uptime_check(api.id, "success", at=at, duration_us=100_000 + index)
        org.record_uptime_check(web.id, "failure" if index >= 7 else "success", at=at, duration_us=900_000,
                                http_status=503 if index >= 7 else 200)
    release = org.releases[0]
    org.create_deploy(release.version, "staging", finished=NOW - 7200, started=NOW - 7300)
    org.create_deploy(release.version, "production", finished=NOW - 3600, name="rollout", url="https://ci.example.com/1")
    return org


@pytest.fixture(scope="module")
def org():
    return monitoring_org()


@pytest.fixture(scope="module")
def api(org):
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        yield Api(srv)


def source_schema(openapi: dict, path: str) -> dict:
    """The published monitor schema with the two fields where Sentry's source differs from it
    (api_crons.py): environments is a list, owner may be null; an active incident has no resolving time."""
    schema = copy.deepcopy(response_schema(openapi, path))
    item = schema.get("items", schema)
    envs = item["properties"]["environments"]
    envs["properties"]["activeIncident"]["properties"]["resolvingTimestamp"]["nullable"] = True
    item["properties"]["environments"] = {"type": "array", "items": envs}
    item["properties"]["owner"]["nullable"] = True
    return schema


def test_monitor_list_matches_the_schema_where_the_source_agrees(api, openapi):
    body = api.json("organizations/acme/monitors/")
    assert len(body) == 3
    assert_valid(source_schema(openapi, ORG + "monitors/"), body)
    # The only disagreements with the unpatched schema are the documented ones.
    errors = OAS30Validator(response_schema(openapi, ORG + "monitors/")).iter_errors(body)
    assert {(e.path[1], e.validator) for e in errors} == {("environments", "type"), ("owner", "type")}


def test_checkins_deploys_detectors_and_uptime_rows_match_the_schema(api, openapi, org):
    checkins = api.json("organizations/acme/monitors/nightly-export/checkins/")
    assert_valid(response_schema(openapi, ORG + "monitors/{monitor_id_or_slug}/checkins/"), checkins)
    version = org.releases[0].version
    deploys = api.json(f"organizations/acme/releases/{version}/deploys/")
    assert_valid(response_schema(openapi, ORG + "releases/{version}/deploys/"), deploys)
    detectors = api.json("organizations/acme/detectors/")
    assert_valid(response_schema(openapi, ORG + "detectors/"), detectors)
    releases = api.json("organizations/acme/releases/", {"per_page": 100})
    assert_valid(response_schema(openapi, ORG + "releases/"), releases)
    rows = api.json("organizations/acme/events/", {"dataset": "uptime_results", "statsPeriod": "1h",
                                                   "field": ["subscription_id", "check_status", "count()"]})
    assert rows["data"]
    assert_valid(response_schema(openapi, ORG + "events/"), rows)


def test_monitor_environments_statuses_and_times_follow_the_check_ins(api, org):
    by_slug = {m["slug"]: m for m in api.json("organizations/acme/monitors/")}
    export = {e["name"]: e for e in by_slug["nightly-export"]["environments"]}
    # One missed check-in opens an incident (threshold 1) but does not move lastCheckIn.
    assert export["production"]["status"] == "error" and export["production"]["activeIncident"]
    assert export["production"]["lastCheckIn"].startswith("2026-09-21T")  # NOW - 10 min; fixed-date: injected
    model = org.monitors["nightly-export"].environments["production"]
    assert _ts(export["production"]["lastCheckIn"]) == model.last_checkin == NOW - 3600 + 10 * 5 * MINUTE
    assert _ts(export["production"]["nextCheckIn"]) == model.next_checkin
    assert _ts(export["production"]["nextCheckInLatest"]) == model.next_checkin + MINUTE
    sync = {e["name"]: e for e in by_slug["sync-connectors"]["environments"]}
    assert sync["production"]["status"] == "error" and sync["staging"] == {**sync["staging"], "isMuted": True,
                                                                           "status": "ok"}
    assert by_slug["sync-connectors"]["owner"] == {"type": "team", "id": "3", "name": "team-c"}
    assert by_slug["warm-cache"]["environments"] == [] and by_slug["warm-cache"]["owner"] is None
    assert [m["slug"] for m in api.json("organizations/acme/monitors/")][-1] == "warm-cache"  # no env: last


def test_monitor_filters(api, org):
    staging = api.json("organizations/acme/monitors/", {"environment": "staging"})
    assert {m["slug"] for m in staging} == {"nightly-export", "sync-connectors"}
    assert all([e["name"] for e in m["environments"]] == ["staging"] for m in staging)
    assert [m["slug"] for m in api.json("organizations/acme/monitors/", {"owner": "team:3"})] == ["sync-connectors"]
    assert [m["slug"] for m in api.json("organizations/acme/monitors/", {"owner": "unassigned"})] == ["warm-cache"]
    billing = org.project("billing").id
    assert [m["slug"] for m in api.json("organizations/acme/monitors/", {"project": billing})] == ["nightly-export"]
    assert api.get("organizations/acme/monitors/", {"environment": "nowhere"}).status_code == 404
    assert api.get("organizations/acme/monitors/nope/checkins/").status_code == 404


def test_checkins_newest_first_with_ids_statuses_and_durations(api, org):
    body = api.json("organizations/acme/monitors/sync-connectors/checkins/", {"environment": "production"})
    truth = [c for c in reversed(org.monitors["sync-connectors"].checkins) if c.environment == "production"]
    assert [(c["id"], c["status"], c["duration"]) for c in body] == [(c.id, c.status, c.duration_ms) for c in truth]
    assert [c["status"] for c in body] == ["timeout", "error", "error", "ok", "ok", "ok"]
    assert len({c["id"] for c in body}) == len(body)
    missed = api.json("organizations/acme/monitors/nightly-export/checkins/", {"statsPeriod": "6m"})
    assert [(c["status"], c["duration"]) for c in missed] == [("in_progress", None), ("missed", None)]


def test_checkins_paginate_with_offset_cursors(api):
    pages = api.all_pages("organizations/acme/monitors/nightly-export/checkins/", {"per_page": 5})
    ids = [c["id"] for page in pages for c in page.json()]
    assert len(pages) == 3 and len(ids) == len(set(ids)) == 13
    assert parse_link(pages[0].headers["Link"])["next"]["cursor"] == "5:1:0"


def test_an_in_progress_check_in_closes_under_the_same_id():
    org = monitoring_org()
    checkin = org.record_checkin("warm-cache", "in_progress", at=NOW - 100)
    org.finish_checkin("warm-cache", checkin, "timeout", at=NOW - 10)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        body = Api(srv).json("organizations/acme/monitors/warm-cache/checkins/")
    assert [(c["id"], c["status"]) for c in body] == [(checkin.id, "timeout")]


def test_detectors_cover_uptime_and_cron_monitors(api, org):
    body = api.json("organizations/acme/detectors/")
    by_type = {}
    for item in body:
        by_type.setdefault(item["type"], []).append(item)
    assert len(by_type["uptime_domain_failure"]) == 2 and len(by_type["monitor_check_in_failure"]) == 3
    uptime = {d["name"]: d for d in by_type["uptime_domain_failure"]}
    assert uptime["Website"]["openIssues"] == 1 and uptime["Website"]["latestGroup"]["status"] == "unresolved"
    assert uptime["API health"]["openIssues"] == 0 and uptime["API health"]["latestGroup"] is None
    assert uptime["Website"]["dataSources"][0]["queryObj"]["url"] == "https://www.example.com/"
    assert uptime["Website"]["config"]["downtimeThreshold"] == 2
    only = api.json("organizations/acme/detectors/", {"query": "type:uptime"})
    assert {d["type"] for d in only} == {"uptime_domain_failure"}
    assert [int(d["id"]) for d in body] == sorted(int(d["id"]) for d in body)


def test_uptime_results_count_by_outcome_and_durations_match_the_model(api, org):
    rows = api.json("organizations/acme/events/", {
        "dataset": "uptime_results", "statsPeriod": "1h", "sort": "subscription_id",
        "field": ["subscription_id", "original_url", "check_status", "count()", "avg(check_duration_us)",
                  "max(incident_status)"]})["data"]
    got = {(r["original_url"], r["check_status"]): (r["count()"], r["avg(check_duration_us)"], r["max(incident_status)"])
           for r in rows}
    assert got == {
        ("https://api.example.com/health", "success"): (10, 100_004.5, 0),
        ("https://www.example.com/", "success"): (7, 900_000, 0),
        ("https://www.example.com/", "failure"): (3, 900_000, 1),
    }
    web = next(m for m in org.uptime_monitors.values() if m.name == "Website")
    last = api.json("organizations/acme/events/", {
        "dataset": "uptime_results", "statsPeriod": "1h", "sort": "-timestamp", "per_page": 1,
        "field": ["timestamp", "check_status", "check_duration_us", "http_status_code"],
        "query": f"subscription_id:{web.subscription_id}"})["data"]
    assert last == [{"timestamp": "2026-09-21T14:12:20Z", "check_status": "failure",  # fixed-date: NOW - 60
                     "check_duration_us": 900_000, "http_status_code": 503}]
    assert web.checks[-1].timestamp == NOW - 60


def test_deploys_and_last_deploy_on_the_release(api, org):
    release = org.releases[0]
    body = api.json(f"organizations/acme/releases/{release.version.replace('@', '%40')}/deploys/")
    assert [(d["environment"], d["name"]) for d in body] == [("production", "rollout"), ("staging", None)]
    listed = next(r for r in api.json("organizations/acme/releases/", {"per_page": 100}) if r["id"] == release.id)
    assert listed["deployCount"] == 2 and listed["lastDeploy"] == body[0]
    assert api.get("organizations/acme/releases/nope/deploys/").status_code == 404


@pytest.mark.parametrize("status", [403, 404])
def test_a_server_can_refuse_detectors_and_uptime_results(status):
    org = monitoring_org()
    behaviour = Behaviour(detectors_status=status, uptime_results_status=status)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN, behaviour=behaviour) as srv:
        api = Api(srv)
        assert api.get("organizations/acme/detectors/").status_code == status
        uptime = api.get("organizations/acme/events/", {"dataset": "uptime_results", "field": "count()"})
        assert uptime.status_code == status
        assert api.get("organizations/acme/monitors/").status_code == 200  # Crons unaffected
        assert api.get("organizations/acme/events/", {"dataset": "errors", "field": "count()"}).status_code == 200


def test_org_tokens_read_deploys_but_not_monitors(org):
    with SimulatorServer(org, clock=FakeClock(NOW), token="sntrys_ci") as srv:
        api = Api(srv, token="sntrys_ci")
        assert api.get(f"organizations/acme/releases/{org.releases[0].version}/deploys/").status_code == 200
        assert api.get("organizations/acme/monitors/").status_code == 403
        assert api.get("organizations/acme/detectors/").status_code == 403


def _ts(text: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_slug_shared_by_two_projects_answers_the_oldest_monitor_and_ids_each():
    """Slugs are unique per project; get_monitor_by_org_id_or_slug (src/sentry/monitors/endpoints/base.py)
    takes the monitor with the lowest id for a shared slug, and a monitor's guid names it alone (§0.16)."""
    org = build_org(slug="acme", projects=2, unresolved=0, resolved=0, seed=3, now=NOW)
    first, second = list(org.projects.values())
    older = org.add_monitor("backup", first, created=NOW - 7200)
    newer = org.add_monitor("backup", second, created=NOW - 3600)
    org.record_checkin("backup", "ok", at=NOW - 120)
    org.record_checkin(f"{second.slug}/backup", "error", at=NOW - 60)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        api = Api(srv)
        listed = api.json("organizations/acme/monitors/", {"project": "-1"})
        assert sorted((m["project"]["slug"], m["slug"]) for m in listed) == sorted(
            [(first.slug, "backup"), (second.slug, "backup")])
        by_slug = api.json("organizations/acme/monitors/backup/checkins/")
        assert [c["status"] for c in by_slug] == ["ok"]  # the older monitor's, whichever project is meant
        assert [c["status"] for c in api.json(f"organizations/acme/monitors/{older.id}/checkins/")] == ["ok"]
        assert [c["status"] for c in api.json(f"organizations/acme/monitors/{newer.id}/checkins/")] == ["error"]
