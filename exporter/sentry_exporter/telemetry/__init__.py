"""The exporter's own telemetry: tracing (one trace per poll), log formatting, and shipping both
(OTLP/HTTP JSON to Tempo, Loki's push API), with counters of what was sent and lost.

Both are optional and off unless their setting is given (LOKI_URL, OTEL_EXPORTER_OTLP_*: see config.py).
Sending happens on background threads with bounded queues: a slow or absent backend costs
dropped telemetry (counted), never a slower poll. Known secrets are masked in everything sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, Metric

from ..config import Config
from . import logs, tracing  # noqa: F401  (logs: the formatters and set-up, for the CLI)
from .batcher import BatchSender
from .loki import LokiHandler, push_url
from .otlp import OtlpTraceExporter, traces_url
from .redact import Redactor


@dataclass(eq=False)  # registered in a CollectorRegistry, which keys on it
class Telemetry:
    traces: OtlpTraceExporter | None = None
    logs: LokiHandler | None = None
    _closed: bool = field(default=False, repr=False)

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        """What the senders counted: a dead Loki or Tempo shows as dropped items and failed batches."""
        items = CounterMetricFamily("sentry_exporter_telemetry_items", "Log lines and spans the exporter shipped "
                                    "(sent) or lost to a full queue or a failed push (dropped).",
                                    labels=["signal", "result"])
        failed = CounterMetricFamily("sentry_exporter_telemetry_batches_failed",
                                     "Pushes of a batch to Loki or Tempo that failed.", labels=["signal"])
        for signal, sender in self._senders():
            items.add_metric([signal, "sent"], sender.sent)
            items.add_metric([signal, "dropped"], sender.dropped)
            failed.add_metric([signal], sender.failures)
        yield from (items, failed)

    def _senders(self) -> Iterator[tuple[str, BatchSender]]:
        if self.logs:
            yield "logs", self.logs.sender
        if self.traces:
            yield "spans", self.traces.sender

    def close(self, timeout: float = 5.0) -> None:
        """Flush what is queued (bounded by `timeout` per signal) and stop the threads."""
        if self._closed:
            return
        self._closed = True
        if self.logs:
            logging.getLogger().removeHandler(self.logs)
            self.logs.sender.close(timeout)
            self.logs.close()
        if self.traces:
            tracing.remove_sink(self.traces)
            self.traces.close(timeout)


def _header_secrets(headers: Mapping[str, str]) -> list[str]:
    """Credential-bearing header values, whole and without their scheme ("Basic xyz" -> also "xyz")."""
    secrets = []
    for name, value in headers.items():
        if any(word in name.lower() for word in ("auth", "token", "key", "secret")):
            secrets += [value, value.rpartition(" ")[2]]
    return secrets


def setup(config: Config) -> Telemetry:
    """Start trace and log shipping as the config asks; call after logs.setup(). Register the
    result in the exporter's registry for its counters, and close() it on the way out."""
    telemetry = Telemetry()
    headers = dict(config.otlp_headers)
    redact = Redactor([config.token, config.bearer_token, config.basic_auth_password, *_header_secrets(headers)])
    if config.otlp_traces_endpoint or config.otlp_endpoint:
        telemetry.traces = OtlpTraceExporter(config.otlp_traces_endpoint or traces_url(config.otlp_endpoint),
                                             redact, headers)
        tracing.add_sink(telemetry.traces)
    if config.loki_url:
        telemetry.logs = LokiHandler(push_url(config.loki_url), redact)
        root = logging.getLogger()
        telemetry.logs.setLevel(root.level)
        root.addHandler(telemetry.logs)
    return telemetry
