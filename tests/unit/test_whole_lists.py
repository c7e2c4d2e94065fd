"""Every list is read whole (issue 21, points 3-6): uptime results past 100 rows, each project's newest
releases whatever the others release, check-ins of same-slug monitors by id, and stats_v2 over every
project, not only the token user's teams. Each test fails on 4be998c."""

from __future__ import annotations

import pytest
from inprocess import BOTH_FLAVORS, MONITORING_EVERY_MINUTE, run, sample, two_team_org

from sentry_simulator import Org

MINUTE, HOUR = 60, 3600
PER_RUN = MONITORING_EVERY_MINUTE


@pytest.fixture
def org(clock) -> Org:
    return two_team_org()


def test_uptime_outcomes_and_latest_checks_past_one_page(exporter, org, clock):
    """120 monitors, each with one success and one failure in the window: 120/120, not 50/50."""
    monitors = [org.add_uptime_monitor(f"m{n:03d}", "api", f"https://api.example.com/{n:03d}")
                for n in range(120)]
    for monitor in monitors:
        org.record_uptime_check(monitor.id, "success", at=clock() - 30 * MINUTE)
    e = exporter(**PER_RUN)
    run(e, "uptime_results")  # the baseline
    clock.advance(5 * MINUTE)
    for monitor in monitors:
        org.record_uptime_check(monitor.id, "success", at=clock() - 4 * MINUTE)
        org.record_uptime_check(monitor.id, "failure", at=clock() - 3 * MINUTE)
    run(e, "uptime_results")
    totals = {outcome: 0.0 for outcome in ("success", "failure")}
    latest_failed = 0
    for monitor in monitors:
        key = {"project": "api", "environment": "production", "url": monitor.url}
        for outcome in totals:
            totals[outcome] += sample(e, "sentry_uptime_checks_total", **key, outcome=outcome) or 0
        latest_failed += sample(e, "sentry_uptime_last_check_status", **key, status="failure") == 1
    assert totals == {"success": 120, "failure": 120}
    assert latest_failed == 120
    # A later run with nothing new keeps every monitor's counters and latest check.
    clock.advance(MINUTE)
    run(e, "uptime_results")
    assert sum(sample(e, "sentry_uptime_checks_total", project="api", environment="production", url=m.url,
                      outcome="failure") for m in monitors) == 120


@BOTH_FLAVORS
def test_a_project_releasing_from_ci_hides_no_other_project(exporter, org, clock):
    org.create_release("web@1.0.0", ["web"], created=clock() - 2 * HOUR)
    org.create_release("web@1.1.0", ["web"], created=clock() - 90 * MINUTE)
    for n in range(120):
        org.create_release(f"api@1.0.{n}", ["api"], created=clock() - HOUR + n * 10)
    e = exporter(releases_per_project=3)
    run(e, "releases")
    assert sample(e, "sentry_release_info", project="web", release="web@1.1.0", latest="true") == 1
    assert sample(e, "sentry_release_info", project="web", release="web@1.0.0", latest="false") == 1
    assert sample(e, "sentry_release_info", project="api", release="api@1.0.119", latest="true") == 1
    assert sample(e, "sentry_release_info", project="api", release="api@1.0.116", latest="false") is None


@BOTH_FLAVORS
def test_releases_cost_one_call_when_the_newest_page_covers_every_project(exporter, org, clock):
    for n in range(5):
        org.create_release(f"api@{n}", ["api"], created=clock() - HOUR + n)
        org.create_release(f"web@{n}", ["web"], created=clock() - HOUR + n)
    e = exporter(releases_per_project=3)
    run(e, "releases")
    assert e.client.stats.copy()[0][("releases", "200")] == 1
    assert {project: [sample(e, "sentry_release_info", project=project, release=f"{project}@{n}",
                             latest=str(n == 4).lower()) for n in (4, 3, 2)] for project in ("api", "web")} \
        == {"api": [1, 1, 1], "web": [1, 1, 1]}


def test_same_slug_monitors_in_two_projects_count_their_own_check_ins(exporter, org, clock):
    """Sentry answers a shared slug with the oldest monitor (monitors/endpoints/base.py): ask by id."""
    org.add_monitor("backup", "api", created=clock() - 2 * HOUR)
    newer = org.add_monitor("backup", "web", created=clock() - HOUR)
    web_key = next(key for key, m in org.monitors.items() if m is newer)
    org.record_checkin("backup", "ok", at=clock() - 600)
    org.record_checkin(web_key, "ok", at=clock() - 600)
    e = exporter(**PER_RUN)
    run(e, "monitors")  # the baseline
    clock.advance(5 * MINUTE)
    org.record_checkin("backup", "error", at=clock() - 10)
    for n in range(2):
        org.record_checkin(web_key, "ok", at=clock() - 20 + n)
    run(e, "monitors")
    counts = {(project, status): sample(e, "sentry_monitor_checkins_total", project=project, monitor="backup",
                                        environment="production", status=status)
              for project in ("api", "web") for status in ("ok", "error")}
    assert counts == {("api", "ok"): 0, ("api", "error"): 1, ("web", "ok"): 2, ("web", "error"): 0}


def test_more_than_a_page_of_check_ins_between_two_reads_are_all_counted(exporter, org, clock):
    org.add_monitor("busy", "api", interval_minutes=1, created=clock() - 2 * HOUR)
    org.record_checkin("busy", "ok", at=clock() - 60)
    e = exporter(**PER_RUN)
    run(e, "monitors")
    for n in range(150):
        org.record_checkin("busy", "ok", at=clock() + n)
    clock.advance(200)
    run(e, "monitors")
    assert sample(e, "sentry_monitor_checkins_total", project="api", monitor="busy", environment="production",
                  status="ok") == 150


@BOTH_FLAVORS
def test_stats_cover_every_project_not_only_the_token_users_teams(exporter, org, clock):
    """Without `project`, Sentry counts only the projects of the user's teams (CONTRACT §0.15)."""
    org.set_member_teams({"team-a"})
    for project_id, quantity in (("1", 3), ("2", 5)):
        org.record_outcome(project_id, "error", "accepted", quantity, at=clock() - 2 * HOUR)
    e = exporter()
    run(e, "stats")
    assert sample(e, "sentry_events_total", project="api", category="error", outcome="accepted") == 3
    assert sample(e, "sentry_events_total", project="web", category="error", outcome="accepted") == 5
