"""sentry_issue_events_total counts error events, as its HELP says, in both modes (issue 21 point 7).

A performance issue's lifetime count grows with its occurrences; without SENTRY_ENVIRONMENTS those
grew the counter, while with them the counter comes from Discover's errors dataset. Only issues whose
`issueCategory` is "error" (src/sentry/api/serializers/models/group.py) count, in both modes."""

from __future__ import annotations

import pytest
from inprocess import run, sample


@pytest.mark.parametrize("environments", [(), ("production",)], ids=["lifetime", "discover"])
def test_performance_issues_do_not_grow_the_error_event_counter(exporter, org, clock, environments):
    error = org.create_issue("api", level="error", substatus="ongoing")
    slow = org.create_issue("api", level="error", substatus="ongoing", title="N+1 Query",
                            type="performance_n_plus_one_db_queries", category="performance")
    for issue in (error, slow):
        org.record_events(issue.id, 2, at=clock() - 600, environment="production")
    e = exporter(environments=environments, reconcile_interval=0)
    run(e, "issues")
    clock.advance(60)
    org.record_events(error.id, 3, at=clock() - 10, environment="production")
    org.record_events(slow.id, 40, at=clock() - 10, environment="production")
    run(e, "issues")
    labels = {"project": "api", "level": "error", **({"environment": "production"} if environments else {})}
    assert sample(e, "sentry_issue_events_total", **labels) == 3
    assert sample(e, "sentry_issues", **labels, substatus="ongoing", priority="high", assignee="unassigned") == 2
