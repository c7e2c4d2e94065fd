"""The uptime poll: Sentry Uptime monitors (detectors), up or down."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from ..config import Config
from ..snapshot import Snapshot
from .family import add_known, cached, info

LABELS = ["project", "environment", "url"]


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.uptime
    if r is None:
        return
    enabled = [m for m in r.monitors if m.enabled]
    yield info("sentry_uptime_monitor_info", "Every enabled uptime monitor: its name and owner team. Always 1.",
               LABELS + ["monitor", "team"], ([m.project, m.environment, m.url, m.name, m.team] for m in enabled))
    up = cached("sentry_uptime_up", "0 while Sentry has an open downtime incident for the uptime monitor, else 1.",
                LABELS)
    threshold = GaugeMetricFamily("sentry_uptime_downtime_threshold", "Failed checks in a row before Sentry opens a "
                                  "downtime incident (the monitor's downtimeThreshold).", labels=LABELS)
    interval = GaugeMetricFamily("sentry_uptime_check_interval_seconds", "How often Sentry checks the URL.",
                                 labels=LABELS)
    for m in enabled:
        key = [m.project, m.environment, m.url]
        up.add_metric(key, float(m.up))
        add_known(threshold, key, m.downtime_threshold)
        add_known(interval, key, m.interval_seconds)
    yield from (up, threshold, interval)
