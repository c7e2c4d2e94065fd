"""The demo org tells every story the dashboards need, and the driver keeps it moving."""

from __future__ import annotations

import time

from simapi import NOW, TOKEN, Api

from sentry_simulator import DemoDriver, FakeClock, SimulatorServer, build_demo_org
from sentry_simulator.demo import BAD_RELEASE, DEMO_PROJECTS

DAY, HOUR = 86400, 3600


def test_demo_org_shape_is_deterministic():
    first, second = build_demo_org(now=NOW), build_demo_org(now=NOW)
    assert sorted(p.slug for p in first.projects.values()) == sorted(DEMO_PROJECTS)
    assert first.environments == ["production", "staging"]
    assert first.truth_unresolved(14 * DAY, NOW) == second.truth_unresolved(14 * DAY, NOW)
    assert sum(first.truth_unresolved(14 * DAY, NOW).values()) > 300  # several pages of 100
    assert first.truth_outcomes(NOW - 48 * HOUR, NOW) == second.truth_outcomes(NOW - 48 * HOUR, NOW)


def test_demo_stories_are_visible_through_the_api():
    org = build_demo_org(now=NOW)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        api = Api(srv)
        rows = api.json("organizations/demo/events/", {
            "dataset": "errors", "statsPeriod": "24h", "field": ["issue", "release_stage", "count_unique(workspace_id)"],
            "query": "project:connectors has:release_stage"})["data"]
        widest = {}
        for row in rows:
            stage = row["release_stage"]
            widest[stage] = max(widest.get(stage, 0), row["count_unique(workspace_id)"])
        assert widest["GA"] > 2 and widest["Beta"] > 5
        sessions = api.json("organizations/demo/sessions/", {
            "field": "crash_free_rate(session)", "groupBy": "release", "statsPeriod": "24h",
            "query": f"release:{BAD_RELEASE}"})
        assert sessions["groups"][0]["totals"]["crash_free_rate(session)"] < 0.9
        outcomes = api.json("organizations/demo/stats_v2/", {
            "field": "sum(quantity)", "groupBy": "outcome", "category": "error", "statsPeriod": "6h"})
        by_outcome = {g["by"]["outcome"]: g["totals"]["sum(quantity)"] for g in outcomes["groups"]}
        assert by_outcome["rate_limited"] > 5000 and by_outcome["filtered"] > 1000
        history = api.json("organizations/demo/stats_v2/", {
            "field": "sum(quantity)", "groupBy": "outcome", "category": "error", "statsPeriod": "48h"})
        assert len(history["intervals"]) >= 48
        substatuses = {i["substatus"] for i in api.json("organizations/demo/issues/",
                                                        {"query": "is:unresolved", "statsPeriod": "24h"})}
        assert {"new", "regressed", "escalating", "ongoing"} <= substatuses


def test_driver_makes_things_happen():
    clock = FakeClock(NOW)
    org = build_demo_org(now=NOW)
    driver = DemoDriver(org, clock=clock, seed=3, spike_every=120, storm_every=300)
    events_before = sum(i.times_seen for i in org.issues.values())
    issues_before = len(org.issues)
    for _ in range(200):  # 200 ticks of 5 s: about 17 minutes
        clock.advance(5)
        driver.step()
    happened = {what for _, what, _ in driver.log}
    assert {"spike", "new", "resolved", "regressed", "escalating", "storm"} <= happened
    assert len(org.issues) > issues_before
    assert sum(i.times_seen for i in org.issues.values()) > events_before + 1000
    now = clock()
    assert org.truth_new_24h(now)  # fresh issues count as new in 24h
    recent = org.truth_outcomes(now - 600, now + 1)
    assert recent[("api-backend", "error", "rate_limited")] > 0 and recent[("billing", "error", "accepted")] > 0


def test_driver_thread_runs_and_stops():
    org = build_demo_org(now=NOW)
    version = org.version
    driver = DemoDriver(org, tick_seconds=0.01).start()
    try:
        deadline = time.monotonic() + 5
        while org.version == version and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        driver.stop()
    assert org.version > version
