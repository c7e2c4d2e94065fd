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


def test_demo_monitors_miss_fail_and_go_down_on_schedule():
    from sentry_simulator.demo_monitoring import FAILING_MONITOR, FLAKY_UPTIME, MISSING_MONITOR, SILENT_MONITOR

    org = build_demo_org(now=NOW)
    clock = FakeClock(NOW)
    with SimulatorServer(org, clock=clock, token=TOKEN) as srv:
        api = Api(srv)
        by_slug = {m["slug"]: m for m in api.json("organizations/demo/monitors/")}
        assert by_slug[SILENT_MONITOR]["environments"] == []
        statuses = {slug: [c["status"] for c in api.json(f"organizations/demo/monitors/{slug}/checkins/")]
                    for slug in (MISSING_MONITOR, FAILING_MONITOR)}
        assert "missed" in statuses[MISSING_MONITOR] and {"error", "timeout"} <= set(statuses[FAILING_MONITOR])
        rows = api.json("organizations/demo/events/", {"dataset": "uptime_results", "statsPeriod": "2h",
                                                       "field": ["original_url", "check_status", "count()"]})["data"]
        assert {r["check_status"] for r in rows} == {"success", "failure"}
        assert all(r["original_url"].startswith("https://api.") for r in rows if r["check_status"] == "failure")
        assert {d["environment"] for d in api.json(f"organizations/demo/releases/{BAD_RELEASE}/deploys/")} == {
            "production", "staging"}
        # Half an hour later the driver has added the slots in between, and the flaky check went down once.
        flaky = next(u for u in org.uptime_monitors.values() if u.name == FLAKY_UPTIME)
        incidents, checks = flaky.incidents, len(flaky.checks)
        before = len(org.monitors[MISSING_MONITOR].checkins)
        clock.advance(1800)
        DemoDriver(org, clock=clock).step()
        assert len(flaky.checks) == checks + 30 and flaky.incidents == incidents + 1
        assert len(org.monitors[MISSING_MONITOR].checkins) == before + 6
