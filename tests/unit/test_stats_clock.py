"""The stats poller on a fake clock: hours freeze once, and the counter follows the billing period."""

from __future__ import annotations

from datetime import datetime, timezone

from inprocess import BOTH_FLAVORS, run, sample

HOUR = 3600.0
ACCEPTED = {"project": "api", "category": "error", "outcome": "accepted"}


def stats_calls(exporter) -> int:
    """stats_v2 queries, in Sentry's unit: GlitchTip needs one per category, error and transaction
    (apps/stats/schema.py StatsV2Schema.category), for the one project here."""
    per_range = 2 if exporter.config.flavor == "glitchtip" else 1
    return exporter.client.stats.copy()[0].get(("stats_v2", "200"), 0) / per_range


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


@BOTH_FLAVORS
def test_an_hour_leaving_the_open_window_is_frozen_once_and_counted_once(exporter, org, clock):
    noon = clock()
    for at, quantity in ((noon - 8 * HOUR, 10), (noon - 6.5 * HOUR, 7), (noon - 600, 3)):
        org.record_outcome("1", "error", "accepted", quantity, at=at)
    e = exporter()
    clock.set(noon - 60)
    run(e, "stats")  # at the start: the older hours are frozen, the open ones asked for
    assert (sample(e, "sentry_events_total", **ACCEPTED), stats_calls(e)) == (20, 2)
    clock.set(noon - 30)
    run(e, "stats")  # the same hour: the frozen sum is reused
    assert (sample(e, "sentry_events_total", **ACCEPTED), stats_calls(e)) == (20, 3)
    org.record_outcome("1", "error", "accepted", 5, at=noon + 30)
    clock.set(noon + 60)
    run(e, "stats")  # 05:00-06:00 (7 events) leaves the open window: frozen now, and not counted twice
    assert (sample(e, "sentry_events_total", **ACCEPTED), stats_calls(e)) == (25, 5)
    clock.set(noon + 120)
    run(e, "stats")
    assert (sample(e, "sentry_events_total", **ACCEPTED), stats_calls(e)) == (25, 6)


@BOTH_FLAVORS
def test_the_counter_restarts_with_the_billing_period(exporter, org, clock):
    # Billing day 10 on the injected clock's calendar (conftest: the 10th at noon): a period starts at midnight.
    period = epoch("2026-03-10T00:00:00")  # fixed-date: the injected clock's calendar
    previous = epoch("2026-02-10T00:00:00")  # fixed-date: the injected clock's calendar
    assert clock() == period + 12 * HOUR
    org.record_outcome("1", "error", "accepted", 4, at=period - 4 * HOUR)
    org.record_outcome("1", "error", "accepted", 6, at=period + 30)
    e = exporter(billing_day=10)
    clock.set(period - 60)
    run(e, "stats")
    assert sample(e, "sentry_events_total", **ACCEPTED) == 4
    assert sample(e, "sentry_quota_period_start_timestamp_seconds") == previous
    clock.set(period + 60)
    run(e, "stats")
    assert sample(e, "sentry_events_total", **ACCEPTED) == 6  # a reset, as Prometheus reads it
    assert sample(e, "sentry_quota_period_start_timestamp_seconds") == period
