"""The monitors poll: Sentry Crons monitors, their environments and their check-ins."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..config import Config
from ..pollers.monitors import ENVIRONMENT_STATUSES
from ..snapshot import Snapshot
from .family import CACHED

LABELS = ["project", "monitor", "environment"]


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.monitors
    if r is None:
        return
    info = GaugeMetricFamily("sentry_monitor_info", "Every cron monitor, also one that never checked in; team is its "
                             "owner team. Always 1.", labels=["project", "monitor", "team"])
    status = GaugeMetricFamily("sentry_monitor_status", "A monitor environment's status as a state set: 1 for the "
                               "current one (error: an open incident)." + CACHED, labels=LABELS + ["status"])
    muted = GaugeMetricFamily("sentry_monitor_muted", "1 when the monitor environment is muted." + CACHED,
                              labels=LABELS)
    last = GaugeMetricFamily("sentry_monitor_last_checkin_timestamp_seconds",
                             "When the monitor environment last checked in (missed check-ins excluded)." + CACHED,
                             labels=LABELS)
    following = GaugeMetricFamily("sentry_monitor_next_checkin_timestamp_seconds",
                                  "When the next check-in is expected." + CACHED, labels=LABELS)
    deadline = GaugeMetricFamily("sentry_monitor_next_checkin_latest_timestamp_seconds",
                                 "The latest time the next check-in may arrive (expected time plus margin) before "
                                 "Sentry marks it missed: compare with time()." + CACHED, labels=LABELS)
    for m in r.monitors:
        info.add_metric([m.project, m.slug, m.team], 1)
        for env in m.environments:
            key = [m.project, m.slug, env.name]
            for state in ENVIRONMENT_STATUSES:
                status.add_metric(key + [state], float(env.status == state))
            muted.add_metric(key, float(env.muted))
            for family, value in ((last, env.last_checkin), (following, env.next_checkin),
                                  (deadline, env.next_checkin_latest)):
                if value is not None:
                    family.add_metric(key, value)
    yield from (info, status, muted, last, following, deadline)
    checkins = CounterMetricFamily("sentry_monitor_checkins", "Check-ins by status since the exporter started, each "
                                   "counted once by its id (in_progress when it starts, then its final status).",
                                   labels=LABELS + ["status"])
    for key, n in sorted(r.checkins.items()):
        checkins.add_metric(list(key), n)
    duration = GaugeMetricFamily("sentry_monitor_last_checkin_duration_seconds",
                                 "Duration of the monitor environment's newest finished check-in." + CACHED,
                                 labels=LABELS, unit="")
    for key, seconds in sorted(r.last_duration.items()):
        duration.add_metric(list(key), seconds)
    deferred = GaugeMetricFamily("sentry_monitor_checkins_deferred", "Changed monitors whose check-ins wait for a "
                                 "later run (SENTRY_MONITORS_MAX_CHECKIN_CALLS a run).", value=r.deferred)
    yield from (checkins, duration, deferred)
