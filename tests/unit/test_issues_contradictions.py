"""An issues poll that learned nothing, or contradicts what the exporter knows, fails instead of publishing zeros."""

from __future__ import annotations

import logging

from inprocess import sample

COUNT = {"project": "api", "level": "error", "substatus": "ongoing", "priority": "high", "assignee": "unassigned"}


def org_with_issues(org, clock, n: int = 5) -> None:
    for i in range(n):
        issue = org.create_issue("api", substatus="ongoing")
        org.record_events(issue.id, 1, at=clock() - 60 - i)


def poll(e) -> bool:
    return e.run_poller(next(job.poller for job in e.jobs if job.poller.name == "issues"))


def test_no_issues_at_all_where_there_were_some_is_a_failed_poll(exporter, org, clock, behaviour, caplog):
    org_with_issues(org, clock)
    e = exporter(reconcile_interval=0)
    assert poll(e)
    behaviour.minus_one_is_no_project = True  # a compatible server reading project=-1 as "no project"
    clock.advance(60)
    with caplog.at_level(logging.WARNING):
        assert not poll(e)
    assert sample(e, "sentry_issues", **COUNT) == 5  # the last good counts, not zeros
    assert sample(e, "sentry_poll_success", poller="issues") == 0
    assert len([r for r in caplog.records if "project=-1" in r.getMessage()]) == 1


def test_a_listing_of_nothing_but_malformed_issues_is_a_failed_poll(exporter, org, clock, simulators):
    org_with_issues(org, clock)
    e = exporter(reconcile_interval=0)
    assert poll(e)
    simulators[0].faults.set(endpoint="issues", junk_items=True)
    clock.advance(60)
    assert not poll(e)
    assert sample(e, "sentry_issues", **COUNT) == 5
    assert sample(e, "sentry_issue_transitions_total", project="api", level="error", transition="left") == 0


def test_every_issue_resolved_at_once_is_believed(exporter, org, clock):
    """The same empty listing, but the lookups by id find the issues resolved: a real departure."""
    org_with_issues(org, clock)
    e = exporter(reconcile_interval=0)
    assert poll(e)
    for issue in list(org.issues.values()):
        org.set_status(issue.id, "resolved")
    clock.advance(60)
    assert poll(e)
    assert sample(e, "sentry_issues", **COUNT) is None
    assert sample(e, "sentry_issue_transitions_total", project="api", level="error", transition="left") == 5
