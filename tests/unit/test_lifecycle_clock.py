"""The issues poller on a fake clock: an issue listed late still counts as new within the ingestion grace."""

from __future__ import annotations

from inprocess import run, sample

NEW = {"project": "api", "level": "error", "transition": "new"}


def test_late_listed_issues_are_new_within_the_grace_only(exporter, org, clock):
    first_poll = clock()
    known = org.create_issue("api", substatus="ongoing")
    org.record_events(known.id, 2, at=first_poll - 3600)
    e = exporter()
    run(e, "issues")  # the baseline
    assert sample(e, "sentry_issue_transitions_total", **NEW) == 0
    late = org.create_issue("api")  # first seen before the last poll, but listed only now
    org.record_events(late.id, 3, at=first_poll - 600)  # 10 min: inside the 15 min grace
    too_late = org.create_issue("api")
    org.record_events(too_late.id, 4, at=first_poll - 1200)  # 20 min: outside it
    org.record_events(known.id, 1, at=first_poll + 30)
    clock.advance(60)
    run(e, "issues")
    assert sample(e, "sentry_issue_transitions_total", **NEW) == 1
    # The new issue brings all its events; the known one its growth; the one past the grace nothing.
    assert sample(e, "sentry_issue_events_total", project="api", level="error") == 3 + 1
    assert sample(e, "sentry_issues_new_24h", project="api") == 3
