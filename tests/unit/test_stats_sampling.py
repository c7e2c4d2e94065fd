"""Dynamic Sampling's drops are counted apart from the other filtered outcomes, from stats_v2's reason."""

from __future__ import annotations

from inprocess import run, sample

SAMPLED = {"project": "api", "category": "transaction"}


def test_sampled_drops_are_outcome_filtered_sampling_and_other_filters_stay_filtered(exporter, org, clock):
    # Relay: FilteredSampling has outcome id FILTERED and reason "Sampled:<rule categories>"
    # (getsentry/relay relay-server/src/services/outcome, Outcome::to_reason).
    now = clock()
    org.record_outcome("1", "transaction", "accepted", 10, at=now - 600)
    org.record_outcome("1", "transaction", "filtered", 85, at=now - 600, reason="Sampled:1004")
    org.record_outcome("1", "transaction", "filtered", 5, at=now - 600, reason="Sampled:1000,1004")
    org.record_outcome("1", "transaction", "filtered", 2, at=now - 600, reason="health-check")
    e = exporter()
    run(e, "stats")
    assert sample(e, "sentry_events_total", outcome="filtered_sampling", **SAMPLED) == 90
    assert sample(e, "sentry_events_total", outcome="filtered", **SAMPLED) == 2
    assert sample(e, "sentry_events_total", outcome="accepted", **SAMPLED) == 10
