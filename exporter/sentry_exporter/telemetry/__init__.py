"""Ship the exporter's own traces (OTLP/HTTP JSON, to Tempo) and logs (Loki push API).

Both are optional and off unless their setting is given (LOKI_URL, OTEL_EXPORTER_OTLP_*: see config.py).
Sending happens on background threads with bounded queues: a slow or absent backend costs
dropped telemetry (counted), never a slower poll. Known secrets are masked in everything sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Mapping

from .. import tracing
from ..config import Config
from .loki import LokiHandler, push_url
from .otlp import OtlpTraceExporter, traces_url
from .redact import Redactor


@dataclass
class Telemetry:
    traces: OtlpTraceExporter | None = None
    logs: LokiHandler | None = None
    _closed: bool = field(default=False, repr=False)

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
            self.traces.close(timeout)


def _header_secrets(headers: Mapping[str, str]) -> list[str]:
    """Credential-bearing header values, whole and without their scheme ("Basic xyz" -> also "xyz")."""
    secrets = []
    for name, value in headers.items():
        if any(word in name.lower() for word in ("auth", "token", "key", "secret")):
            secrets += [value, value.rpartition(" ")[2]]
    return secrets


def setup(config: Config) -> Telemetry:
    """Start trace and log shipping as the config asks; call after logs.setup()."""
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
