"""The uptime_results poll: uptime check results by outcome, and each monitor's latest check."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, Metric

from ..config import Config
from ..pollers.uptime_results import OUTCOMES
from ..snapshot import Snapshot
from .family import add_known, add_state_set, cached, filled

LABELS = ["project", "environment", "url"]


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.uptime_results
    if r is None:
        return
    yield filled(CounterMetricFamily("sentry_uptime_checks", "Uptime check results by outcome since the exporter "
                                     "started (from Discover's uptime_results).", labels=LABELS + ["outcome"]),
                 r.checks)
    status = cached("sentry_uptime_last_check_status", "The latest check's outcome as a state set.",
                    LABELS + ["status"])
    duration = cached("sentry_uptime_last_check_duration_seconds", "How long the latest check took.", LABELS)
    when = cached("sentry_uptime_last_check_timestamp_seconds", "When the latest check ran.", LABELS)
    incident = cached("sentry_uptime_last_check_in_incident", "1 when the latest check belongs to a downtime "
                      "incident.", LABELS)
    for key, check in sorted(r.latest.items()):
        add_state_set(status, key, OUTCOMES, check.status)
        add_known(duration, key, check.duration_seconds)
        add_known(when, key, check.timestamp)
        incident.add_metric(list(key), float(check.in_incident))
    yield from (status, duration, when, incident)
