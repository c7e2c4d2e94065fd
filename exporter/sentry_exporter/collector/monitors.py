"""The monitors poll: Sentry Crons monitors, their environments and their check-ins."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..config import Config
from ..pollers.monitors import ENVIRONMENT_STATUSES
from ..snapshot import Snapshot
from .family import add_known, add_state_set, cached, filled, info

LABELS = ["project", "monitor", "environment"]


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.monitors
    if r is None:
        return
    yield info("sentry_monitor_info", "Every cron monitor, also one that never checked in; team is its owner team. "
               "Always 1.", ["project", "monitor", "team"], ([m.project, m.slug, m.team] for m in r.monitors))
    status = cached("sentry_monitor_status", "A monitor environment's status as a state set: 1 for the current one "
                    "(error: an open incident).", LABELS + ["status"])
    muted = cached("sentry_monitor_muted", "1 when the monitor environment is muted.", LABELS)
    last = cached("sentry_monitor_last_checkin_timestamp_seconds",
                  "When the monitor environment last checked in (missed check-ins excluded).", LABELS)
    following = cached("sentry_monitor_next_checkin_timestamp_seconds", "When the next check-in is expected.", LABELS)
    deadline = cached("sentry_monitor_next_checkin_latest_timestamp_seconds", "The latest time the next check-in may "
                      "arrive (expected time plus margin) before Sentry marks it missed: compare with time().", LABELS)
    for m in r.monitors:
        for env in m.environments:
            key = [m.project, m.slug, env.name]
            add_state_set(status, key, ENVIRONMENT_STATUSES, env.status)
            muted.add_metric(key, float(env.muted))
            add_known(last, key, env.last_checkin)
            add_known(following, key, env.next_checkin)
            add_known(deadline, key, env.next_checkin_latest)
    yield from (status, muted, last, following, deadline)
    yield filled(CounterMetricFamily("sentry_monitor_checkins", "Check-ins by status since the exporter started, each "
                                     "counted once by its id (in_progress when it starts, then its final status).",
                                     labels=LABELS + ["status"]), r.checkins)
    yield filled(cached("sentry_monitor_last_checkin_duration_seconds",
                        "Duration of the monitor environment's newest finished check-in.", LABELS), r.last_duration)
    yield GaugeMetricFamily("sentry_monitor_checkins_deferred", "Changed monitors whose check-ins wait for a "
                            "later run (SENTRY_MONITORS_MAX_CHECKIN_CALLS a run).", value=r.deferred)
