"""The exporter's own state: sentry_up, demo and build info, and each poller's runs."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, Exemplar, GaugeMetricFamily, Metric

from .. import __version__
from ..config import Config
from ..snapshot import Snapshot
from .family import gauge


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    states = snapshot.pollers
    yield gauge("sentry_up", "1 when the latest run of every supported poller succeeded, else 0.",
                value=float(all(s.ok for s in states.values() if s.counts)))
    unsupported = GaugeMetricFamily("sentry_poll_unsupported", "1 for a poller this token or Sentry cannot answer "
                                    "(forbidden, not_found, rejected); left out of sentry_up and /readyz.",
                                    labels=["poller", "reason"])
    for name, state in sorted(states.items()):
        if state.unsupported:
            unsupported.add_metric([name, state.unsupported], 1)
    yield unsupported
    yield gauge("sentry_exporter_demo", "1 when the data comes from the built-in demo simulator, not Sentry.",
                value=float(config.demo))
    build = GaugeMetricFamily("sentry_exporter_build_info", "Exporter version.", labels=["version"])
    build.add_metric([__version__], 1)
    yield build
    success = GaugeMetricFamily("sentry_poll_success", "1 when the latest run of the poller succeeded.",
                                labels=["poller"])
    last = GaugeMetricFamily("sentry_last_success_timestamp_seconds",
                             "When the poller last succeeded; the age of the data it serves.", labels=["poller"])
    duration = GaugeMetricFamily("sentry_poll_duration_seconds", "Wall time of the poller's latest run.",
                                 labels=["poller"], unit="")
    polls = CounterMetricFamily("sentry_polls", "Runs of each poller by result; the exemplar's trace_id is the "
                                "latest run's trace in Tempo.", labels=["poller", "result"])
    for name, state in sorted(states.items()):
        if state.ran:
            success.add_metric([name], float(state.ok))
            duration.add_metric([name], state.duration or 0.0)
            latest = "success" if state.ok else "failure"
            for result, count in (("success", state.runs - state.failures), ("failure", state.failures)):
                exemplar = Exemplar({"trace_id": state.trace_id}, count) \
                    if result == latest and state.trace_id else None
                polls.add_metric([name, result], count, exemplar=exemplar)
        if state.last_success is not None:
            last.add_metric([name], state.last_success)
    yield from (success, last, duration, polls)
