"""The uptime_results poll: uptime check results by outcome, and each monitor's latest check."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..config import Config
from ..pollers.uptime_results import OUTCOMES
from ..snapshot import Snapshot
from .family import CACHED

LABELS = ["project", "environment", "url"]


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.uptime_results
    if r is None:
        return
    checks = CounterMetricFamily("sentry_uptime_checks", "Uptime check results by outcome since the exporter started "
                                 "(from Discover's uptime_results).", labels=LABELS + ["outcome"])
    for key, n in sorted(r.checks.items()):
        checks.add_metric(list(key), n)
    status = GaugeMetricFamily("sentry_uptime_last_check_status", "The latest check's outcome as a state set."
                               + CACHED, labels=LABELS + ["status"])
    duration = GaugeMetricFamily("sentry_uptime_last_check_duration_seconds", "How long the latest check took."
                                 + CACHED, labels=LABELS, unit="")
    when = GaugeMetricFamily("sentry_uptime_last_check_timestamp_seconds", "When the latest check ran." + CACHED,
                             labels=LABELS)
    incident = GaugeMetricFamily("sentry_uptime_last_check_in_incident", "1 when the latest check belongs to a "
                                 "downtime incident." + CACHED, labels=LABELS)
    for key, check in sorted(r.latest.items()):
        for outcome in OUTCOMES:
            status.add_metric([*key, outcome], float(check.status == outcome))
        if check.duration_seconds is not None:
            duration.add_metric(list(key), check.duration_seconds)
        if check.timestamp is not None:
            when.add_metric(list(key), check.timestamp)
        incident.add_metric(list(key), float(check.in_incident))
    yield from (checks, status, duration, when, incident)
