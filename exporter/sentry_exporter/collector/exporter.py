"""The exporter's own state: sentry_up, demo and build info, and each poller's runs and interval."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, Exemplar, GaugeMetricFamily, Metric

from .. import __version__
from ..config import Config
from ..sentry.flavor import ServerKind
from ..snapshot import Snapshot
from .family import gauge


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    states = snapshot.pollers
    yield gauge("sentry_up", "1 when the latest run of every poller succeeded, else 0; pollers this Sentry "
                "cannot serve (sentry_poll_unsupported) are left out.", value=float(snapshot.up()))
    yield gauge("sentry_exporter_demo", "1 when the data comes from the built-in demo simulator, not Sentry.",
                value=float(config.demo))
    build = GaugeMetricFamily("sentry_exporter_build_info", "Exporter version.", labels=["version"])
    build.add_metric([__version__], 1)
    yield build
    success = GaugeMetricFamily("sentry_poll_success", "1 when the latest run of the poller succeeded; absent "
                                "while it is unsupported.", labels=["poller"])
    unsupported = GaugeMetricFamily("sentry_poll_unsupported", "1 while this Sentry cannot serve the poller (its "
                                    "plan, version or token lacks what it needs); reason says what.",
                                    labels=["poller", "reason"])
    # The reconciliation is no poller of its own but is judged the same way (SentryIssuesReconciliationStale).
    intervals = config.poll_intervals
    interval = GaugeMetricFamily("sentry_poll_interval_seconds", "Configured seconds between runs of the poller "
                                 "(reconcile: the full issue listing); alerts judge data age against it.",
                                 labels=["poller"])
    for name in sorted({*states, "reconcile"} if "issues" in states else set(states)):
        interval.add_metric([name], intervals[name])
    last = GaugeMetricFamily("sentry_last_success_timestamp_seconds",
                             "When the poller last succeeded; the age of the data it serves.", labels=["poller"])
    duration = GaugeMetricFamily("sentry_poll_duration_seconds", "Wall time of the poller's latest run.",
                                 labels=["poller"], unit="")
    polls = CounterMetricFamily("sentry_polls", "Runs of each poller by result (success, failure, unsupported); "
                                "the exemplar's trace_id is the latest run's trace in Tempo.",
                                labels=["poller", "result"])
    for name, state in sorted(states.items()):
        if state.unsupported is not None:
            unsupported.add_metric([name, state.unsupported], 1)
        elif state.ran:
            success.add_metric([name], float(state.ok))
        if state.ran:
            duration.add_metric([name], state.duration or 0.0)
            latest = "unsupported" if state.unsupported else "success" if state.ok else "failure"
            runs = {"success": state.runs - state.failures - state.unsupported_runs, "failure": state.failures}
            if state.unsupported_runs:
                runs["unsupported"] = state.unsupported_runs
            for result, count in runs.items():
                # An exemplar's value is one observation (client_python's Counter.inc gives it the
                # increment): 1 run. The running count would plot far above the panel's increase().
                exemplar = Exemplar({"trace_id": state.trace_id}, 1) \
                    if result == latest and state.trace_id else None
                polls.add_metric([name, result], count, exemplar=exemplar)
        if state.last_success is not None:
            last.add_metric([name], state.last_success)
    yield from (success, unsupported, interval, last, duration, polls)


def server_info(kind: ServerKind) -> Iterator[Metric]:
    """Which server the exporter reads, once it knows (docs/glitchtip.md)."""
    if kind.flavor is None:
        return
    family = GaugeMetricFamily("sentry_server_info", "The server the exporter reads: flavor is sentry or glitchtip; "
                               "source says whether SENTRY_FLAVOR set it or it was detected. Always 1.",
                               labels=["flavor", "source"])
    family.add_metric([kind.flavor.name, kind.source], 1)
    yield family
