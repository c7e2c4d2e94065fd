"""The stats poll: event outcomes of the billing period, its start, the projects, the budgets."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..config import Config
from ..snapshot import Snapshot
from .family import filled, gauge


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.stats
    if r is None:
        return
    yield filled(CounterMetricFamily(
        "sentry_events", "Events by outcome since the start of the billing period (resets then), from stats_v2 "
        "at hour resolution; filtered_sampling: filtered by Dynamic Sampling (reason Sampled:…), apart from filtered. Byte-valued categories (attachment, log_byte) and profile durations (ms) are not events "
        "and not counted.",
        labels=["project", "category", "outcome"]), r.events)
    yield gauge("sentry_quota_period_start_timestamp_seconds", "Start of the current billing period.",
                value=r.period_start)
    yield gauge("sentry_projects", "Projects the exporter polls (all it can see, or SENTRY_PROJECTS).",
                value=r.projects)
    budget = GaugeMetricFamily("sentry_quota_budget_events", "Configured event budget per billing period.",
                               labels=["category"])
    for category, amount in config.quota_budgets:
        budget.add_metric([category], amount)
    yield budget
