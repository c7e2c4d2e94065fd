"""The scale sweep (issue 21, acceptance): each poller at 10, 100 and 1,000 items of its kind (issues,
releases per project, monitors, uptime monitors, Discover rows) exports every item, or reports the cut
in a `*_truncated` gauge. 100 is a page exactly; 1,000 is ten pages."""

from __future__ import annotations

import pytest
from inprocess import MONITORING_EVERY_MINUTE, run, sample, two_team_org

from sentry_simulator import Org

SIZES = [10, 100, 1000]
MINUTE, HOUR = 60, 3600
PER_RUN = MONITORING_EVERY_MINUTE


@pytest.fixture
def org(clock) -> Org:
    return two_team_org()


def total(e, name: str, **labels: str) -> float:
    """The sum of every sample of `name` whose labels include `labels`."""
    return sum(s.value for family in e.registry.collect() for s in family.samples
               if s.name == name and labels.items() <= s.labels.items())


def series(e, name: str) -> int:
    return sum(1 for family in e.registry.collect() for s in family.samples if s.name == name)


@pytest.mark.parametrize("size", SIZES)
def test_issues(exporter, org, clock, size):
    for n in range(size):
        issue = org.create_issue("web" if n % 2 else "api", substatus="ongoing")
        org.record_events(issue.id, 1, at=clock() - 600)
    e = exporter(reconcile_interval=0)
    run(e, "issues")
    assert total(e, "sentry_issues") == size
    assert total(e, "sentry_issues_truncated") == 0


def test_issues_past_the_cap_report_the_cut(exporter, org, clock):
    for n in range(1000):
        org.record_events(org.create_issue("api", substatus="ongoing").id, 1, at=clock() - 600)
    e = exporter(reconcile_interval=0, max_issues=300)
    run(e, "issues")
    assert total(e, "sentry_issues") == 300
    assert total(e, "sentry_issues_truncated") == 1


@pytest.mark.parametrize("size", SIZES)
def test_releases_per_project(exporter, org, clock, size):
    org.create_release("web@1", ["web"], created=clock() - 2 * HOUR)
    for n in range(size):
        org.create_release(f"api@{n}", ["api"], created=clock() - HOUR + n)
    e = exporter(releases_per_project=3)
    run(e, "releases")
    assert sample(e, "sentry_release_info", project="web", release="web@1", latest="true") == 1
    assert [sample(e, "sentry_release_info", project="api", release=f"api@{n}", latest=str(n == size - 1).lower())
            for n in range(size - 3, size)] == [1, 1, 1]
    assert series(e, "sentry_release_info") == 4


@pytest.mark.parametrize("size", SIZES)
def test_monitors(exporter, org, clock, size):
    for n in range(size):
        org.add_monitor(f"job-{n:04d}", "web" if n % 2 else "api", created=clock() - HOUR)
        org.record_checkin(f"job-{n:04d}", "ok", at=clock() - 600)
    e = exporter(monitors_checkin_calls=1000, **PER_RUN)
    run(e, "monitors")
    clock.advance(5 * MINUTE)
    for n in range(size):
        org.record_checkin(f"job-{n:04d}", "error", at=clock() - 10)
    run(e, "monitors")
    assert series(e, "sentry_monitor_info") == size
    assert total(e, "sentry_monitor_checkins_total", status="error") == size
    assert sample(e, "sentry_monitor_checkins_deferred") == 0


@pytest.mark.parametrize("size", SIZES)
def test_uptime_monitors_and_their_discover_rows(exporter, org, clock, size):
    """The uptime poller lists every detector; uptime_results reads every Discover row (one a check)."""
    monitors = [org.add_uptime_monitor(f"m{n:04d}", "web" if n % 2 else "api", f"https://example.com/{n:04d}")
                for n in range(size)]
    for monitor in monitors:
        org.record_uptime_check(monitor.id, "success", at=clock() - 30 * MINUTE)
    e = exporter(**PER_RUN)
    run(e, "uptime")
    run(e, "uptime_results")
    clock.advance(5 * MINUTE)
    for monitor in monitors:
        org.record_uptime_check(monitor.id, "failure", at=clock() - 3 * MINUTE)
    run(e, "uptime_results")
    assert total(e, "sentry_uptime_up") == size
    assert total(e, "sentry_uptime_checks_total", outcome="failure") == size
    assert total(e, "sentry_uptime_last_check_status", status="failure") == size


@pytest.mark.parametrize("size", SIZES)
def test_discover_rows_of_environment_events(exporter, org, clock, size):
    """Per-environment event counters: one Discover row per (project, environment, level)."""
    for n in range(size):
        project = org.add_project(f"p{n:04d}", project_id=str(n + 10))
        org.record_events(org.create_issue(project, substatus="ongoing").id, 1, at=clock() - 600,
                          environment="production")
    e = exporter(environments=("production",), reconcile_interval=0)
    run(e, "issues")
    clock.advance(MINUTE)
    for issue in org.issues.values():
        org.record_events(issue.id, 2, at=clock() - 10, environment="production")
    run(e, "issues")
    assert total(e, "sentry_issue_events_total") == 2 * size
    assert sum(1 for family in e.registry.collect() for s in family.samples
               if s.name == "sentry_issue_events_total" and s.labels["project"].startswith("p") and s.value) == size
