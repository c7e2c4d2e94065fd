"""Each poller's configured interval is exported, so staleness is judged against the poller's own clock."""

from __future__ import annotations

from inprocess import sample


def test_each_scheduled_poller_and_the_reconciliation_export_their_interval(exporter):
    e = exporter(poll_interval=30.0, stats_interval=1800.0, reconcile_interval=7200.0, monitors_interval=0.0)
    assert sample(e, "sentry_poll_interval_seconds", poller="issues") == 30
    assert sample(e, "sentry_poll_interval_seconds", poller="stats") == 1800
    assert sample(e, "sentry_poll_interval_seconds", poller="reconcile") == 7200
    assert sample(e, "sentry_poll_interval_seconds", poller="monitors") is None  # off: not scheduled


def test_without_its_own_interval_the_reconciliation_runs_with_every_issues_poll(exporter):
    e = exporter(poll_interval=45.0, reconcile_interval=0.0)
    assert sample(e, "sentry_poll_interval_seconds", poller="reconcile") == 45
