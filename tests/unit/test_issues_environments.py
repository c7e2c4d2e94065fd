"""Per-environment event counters come from Discover, not from the global lifetime count (CONTRACT.md §0.1)."""

from __future__ import annotations

import logging

from inprocess import BOTH_FLAVORS, run, sample

ENVIRONMENTS = ("production", "staging")


def events(e, environment: str) -> float | None:
    return sample(e, "sentry_issue_events_total", project="api", level="error", environment=environment)


@BOTH_FLAVORS
def test_events_only_in_staging_grow_staging_only(exporter, org, clock):
    both = org.create_issue("api", substatus="ongoing")  # listed in both environments
    org.record_events(both.id, 3, at=clock() - 600, environment="production")
    org.record_events(both.id, 2, at=clock() - 600, environment="staging")
    e = exporter(environments=ENVIRONMENTS, reconcile_interval=0)
    run(e, "issues")
    assert events(e, "production") == events(e, "staging") == 0
    clock.advance(60)
    org.record_events(both.id, 5, at=clock() - 10, environment="staging")
    run(e, "issues")
    assert events(e, "staging") == 5
    assert events(e, "production") == 0
    clock.advance(60)
    org.record_events(both.id, 4, at=clock() - 10, environment="production")
    run(e, "issues")
    assert (events(e, "production"), events(e, "staging")) == (4, 5)  # each event once, where it happened


@BOTH_FLAVORS
def test_late_events_count_once_within_the_horizon(exporter, org, clock):
    issue = org.create_issue("api", substatus="ongoing")
    org.record_events(issue.id, 1, at=clock() - 600, environment="production")
    org.record_events(issue.id, 1, at=clock() - 600, environment="staging")
    e = exporter(environments=ENVIRONMENTS, reconcile_interval=0)
    run(e, "issues")
    for minute in range(30):  # through several frozen windows
        clock.advance(60)
        org.record_events(issue.id, 2, at=clock() - 30, environment="production")
        if minute % 10 == 5:  # lands 5 minutes after its timestamp, in a window already polled
            org.record_events(issue.id, 1, at=clock() - 300, environment="production")
        run(e, "issues")
    assert events(e, "production") == 30 * 2 + 3
    assert events(e, "staging") == 0


def test_without_discover_the_counters_are_left_out_with_one_line(exporter, org, clock, behaviour, caplog):
    issue = org.create_issue("api", substatus="ongoing")
    org.record_events(issue.id, 1, at=clock() - 600, environment="staging")
    behaviour.discover = False  # a plan without discover-basic: /events/ is a bare 404 (§0.10)
    e = exporter(environments=ENVIRONMENTS, reconcile_interval=0)
    with caplog.at_level(logging.WARNING):
        run(e, "issues")
        clock.advance(60)
        org.record_events(issue.id, 5, at=clock() - 10, environment="staging")
        run(e, "issues")
    assert events(e, "staging") is None
    assert sample(e, "sentry_issues", project="api", level="error", substatus="ongoing", priority="high",
                  assignee="unassigned", environment="staging") == 1
    assert len([r for r in caplog.records if "need Discover" in r.getMessage()]) == 1


def test_an_older_sentry_without_dataset_errors_is_asked_without_it(exporter, org, clock, behaviour, simulators):
    issue = org.create_issue("api", substatus="ongoing")
    org.record_events(issue.id, 1, at=clock() - 600, environment="production")
    org.record_events(issue.id, 1, at=clock() - 600, environment="staging")
    behaviour.errors_dataset = False  # self-hosted from before dataset=errors (§0.11): a 400
    e = exporter(environments=ENVIRONMENTS, reconcile_interval=0)
    run(e, "issues")
    clock.advance(60)
    org.record_events(issue.id, 3, at=clock() - 10, environment="staging")
    run(e, "issues")
    assert (events(e, "production"), events(e, "staging")) == (0, 3)
    assert len(simulators[0].requests("events", status=400)) == 1  # remembered


def test_an_environment_sentry_does_not_know_yet_counts_nothing_until_it_does(exporter, org, clock, caplog):
    issue = org.create_issue("api", substatus="ongoing")
    org.record_events(issue.id, 2, at=clock() - 600, environment="production")  # no staging event, ever
    e = exporter(environments=ENVIRONMENTS, reconcile_interval=0)
    with caplog.at_level(logging.WARNING):
        run(e, "issues")
        clock.advance(60)
        run(e, "issues")
    said = [r for r in caplog.records if "does not know the environment" in r.getMessage()]
    assert len(said) == 1 and "'staging'" in said[0].getMessage()
    assert sample(e, "sentry_issues", project="api", level="error", substatus="ongoing", priority="high",
                  assignee="unassigned", environment="production") == 1
    clock.advance(60)
    org.record_events(issue.id, 3, at=clock() - 10, environment="staging")  # staging's first event
    run(e, "issues")
    clock.advance(60)
    org.record_events(issue.id, 4, at=clock() - 10, environment="staging")
    run(e, "issues")
    assert sample(e, "sentry_issues", project="api", level="error", substatus="ongoing", priority="high",
                  assignee="unassigned", environment="staging") == 1
    assert (events(e, "production"), events(e, "staging")) == (0, 3 + 4)


def test_every_environment_unknown_fails_the_poll_with_one_clear_line(exporter, org, clock, caplog):
    org.create_issue("api", substatus="ongoing")
    e = exporter(environments=("prod", "stage"), reconcile_interval=0)
    with caplog.at_level(logging.WARNING, logger="sentry_exporter.app"):
        assert not e.run_poller(e.issues)
    assert any("every environment in SENTRY_ENVIRONMENTS (prod, stage)" in r.getMessage() for r in caplog.records)


def test_discover_refused_is_asked_again_at_every_poll_and_its_counters_come_back(exporter, org, clock, behaviour,
                                                                                  simulators):
    """Issue 21, point 2: one bare 404 must not turn the per-environment counters off for good."""
    issue = org.create_issue("api", substatus="ongoing")
    org.record_events(issue.id, 1, at=clock() - 600, environment="staging")
    behaviour.discover = False
    e = exporter(environments=ENVIRONMENTS, reconcile_interval=0)
    for _ in range(3):
        clock.advance(60)
        run(e, "issues")
    assert events(e, "staging") is None
    refused = len(simulators[0].requests("events", status=404))
    assert refused >= 1
    clock.advance(60)
    run(e, "issues")
    assert len(simulators[0].requests("events", status=404)) == refused + 1  # asked again at every poll
    behaviour.discover = True  # the plan gains Discover
    clock.advance(60)
    run(e, "issues")
    assert events(e, "staging") == 0  # born at 0: what came while it was refused is not a burst
    clock.advance(60)
    org.record_events(issue.id, 5, at=clock() - 10, environment="staging")
    run(e, "issues")
    assert events(e, "staging") == 5
