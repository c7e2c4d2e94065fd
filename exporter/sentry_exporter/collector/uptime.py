"""The uptime poll: Sentry Uptime monitors (detectors), up or down."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from ..config import Config
from ..snapshot import Snapshot
from .family import CACHED

LABELS = ["project", "environment", "url"]


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.uptime
    if r is None:
        return
    info = GaugeMetricFamily("sentry_uptime_monitor_info", "Every enabled uptime monitor: its name and owner team. "
                             "Always 1.", labels=LABELS + ["monitor", "team"])
    up = GaugeMetricFamily("sentry_uptime_up", "0 while Sentry has an open downtime incident for the uptime monitor, "
                           "else 1." + CACHED, labels=LABELS)
    threshold = GaugeMetricFamily("sentry_uptime_downtime_threshold", "Failed checks in a row before Sentry opens a "
                                  "downtime incident (the monitor's downtimeThreshold).", labels=LABELS)
    interval = GaugeMetricFamily("sentry_uptime_check_interval_seconds", "How often Sentry checks the URL.",
                                 labels=LABELS, unit="")
    for m in r.monitors:
        if not m.enabled:
            continue
        key = [m.project, m.environment, m.url]
        info.add_metric(key + [m.name, m.team], 1)
        up.add_metric(key, float(m.up))
        if m.downtime_threshold is not None:
            threshold.add_metric(key, m.downtime_threshold)
        if m.interval_seconds is not None:
            interval.add_metric(key, m.interval_seconds)
    yield from (info, up, threshold, interval)
