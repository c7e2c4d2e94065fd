"""Ship the exporter's own traces (OTLP/HTTP JSON, to Tempo) and logs (Loki push API).

Both are optional and off unless their variable is set:
- OTEL_EXPORTER_OTLP_ENDPOINT (base URL, `/v1/traces` is appended) or
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (full URL); OTEL_EXPORTER_OTLP_HEADERS adds `k=v,...` headers.
- LOKI_URL (base URL, `/loki/api/v1/push` is appended).
Sending happens on background threads with bounded queues: a slow or absent backend costs
dropped telemetry (counted), never a slower poll. Known secrets are masked in everything sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import unquote, urlsplit

from .. import tracing
from ..config import Config, ConfigError
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


def _url(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL such as http://tempo:4318, got {value!r}")
    return value


def _headers(environ: Mapping[str, str]) -> dict[str, str]:
    """OTEL_EXPORTER_OTLP_HEADERS: comma-separated key=value pairs, values URL-encoded (OTel spec)."""
    headers = {}
    for pair in filter(None, (p.strip() for p in environ.get("OTEL_EXPORTER_OTLP_HEADERS", "").split(","))):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError("OTEL_EXPORTER_OTLP_HEADERS must look like key1=value1,key2=value2")
        headers[key.strip()] = unquote(value.strip())
    return headers


def _header_secrets(headers: Mapping[str, str]) -> list[str]:
    """Credential-bearing header values, whole and without their scheme ("Basic xyz" -> also "xyz")."""
    secrets = []
    for name, value in headers.items():
        if any(word in name.lower() for word in ("auth", "token", "key", "secret")):
            secrets += [value, value.rpartition(" ")[2]]
    return secrets


def setup(config: Config, environ: Mapping[str, str]) -> Telemetry:
    """Start trace and log shipping as configured by `environ`; call after logs.setup()."""
    telemetry = Telemetry()
    traces_endpoint = _url(environ, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    base_endpoint = _url(environ, "OTEL_EXPORTER_OTLP_ENDPOINT")
    headers = _headers(environ) if traces_endpoint or base_endpoint else {}
    redact = Redactor([config.token, config.bearer_token, config.basic_auth_password, *_header_secrets(headers)])
    if traces_endpoint or base_endpoint:
        telemetry.traces = OtlpTraceExporter(traces_endpoint or traces_url(base_endpoint), redact, headers)
        tracing.add_sink(telemetry.traces)
    loki = _url(environ, "LOKI_URL")
    if loki:
        telemetry.logs = LokiHandler(push_url(loki), redact)
        root = logging.getLogger()
        telemetry.logs.setLevel(root.level)
        root.addHandler(telemetry.logs)
    return telemetry
