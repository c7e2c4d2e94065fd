"""OTLP/HTTP trace export with the JSON encoding (standard library + requests only).

A `tracing` sink: each finished poll trace is enqueued, and a background thread POSTs
batches to `{OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` as `application/json`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import requests

from .. import __version__
from ..tracing import Span
from .batcher import BatchSender

SERVICE_NAME = "sentry-exporter"
SPAN_KIND_INTERNAL, SPAN_KIND_CLIENT = 1, 3
STATUS_OK, STATUS_ERROR = 1, 2
PEER_SERVICE = "sentry"  # names the far end so Tempo's service graph draws sentry-exporter -> sentry


def traces_url(endpoint: str) -> str:
    """The per-signal URL from the base endpoint, as the OTLP exporter spec builds it."""
    return endpoint.rstrip("/") + "/v1/traces"


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):  # before int: bool is an int in Python
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # int64 travels as a decimal string in OTLP/JSON
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def _attributes(attributes: Mapping[str, Any], scrub: Callable[[str], str]) -> list[dict[str, Any]]:
    return [{"key": key, "value": _value(scrub(v) if isinstance(v, str) else v)}
            for key, v in attributes.items()]


def encode_span(span: Span, scrub: Callable[[str], str]) -> dict[str, Any]:
    attributes = dict(span.attributes)
    client = "http.request.method" in attributes  # one span per outgoing Sentry request
    if client:
        attributes.setdefault("peer.service", PEER_SERVICE)
    encoded: dict[str, Any] = {
        "traceId": span.trace_id,  # OTLP/JSON carries ids as hex, not base64
        "spanId": span.span_id,
        "name": scrub(span.name),
        "kind": SPAN_KIND_CLIENT if client else SPAN_KIND_INTERNAL,
        "startTimeUnixNano": str(span.start_ns),
        "endTimeUnixNano": str(span.end_ns),
        "attributes": _attributes(attributes, scrub),
        "status": {"code": STATUS_OK if span.ok else STATUS_ERROR},
    }
    if span.parent_id:
        encoded["parentSpanId"] = span.parent_id
    return encoded


def encode(traces: list[list[Span]], scrub: Callable[[str], str]) -> dict[str, Any]:
    """One ExportTraceServiceRequest holding every span of the given traces."""
    return {"resourceSpans": [{
        "resource": {"attributes": _attributes({"service.name": SERVICE_NAME,
                                                "service.version": __version__}, scrub)},
        "scopeSpans": [{
            "scope": {"name": "sentry_exporter", "version": __version__},
            "spans": [encode_span(s, scrub) for trace in traces for s in trace],
        }],
    }]}


class OtlpTraceExporter:
    """Call it with a finished trace (it is a tracing sink); it never blocks the caller."""

    def __init__(self, url: str, scrub: Callable[[str], str], headers: Mapping[str, str] | None = None,
                 timeout: float = 5.0, max_queue: int = 256) -> None:
        self.url = url
        self._scrub = scrub
        self._timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False  # an internal collector: no proxy, no .netrc credentials
        self._session.headers.update({"Content-Type": "application/json", **(headers or {})})
        self.sender: BatchSender[list[Span]] = BatchSender("otlp", self._post, max_queue=max_queue, max_batch=64)

    def __call__(self, spans: list[Span]) -> None:
        self.sender.offer(list(spans))

    def _post(self, traces: list[list[Span]]) -> None:
        resp = self._session.post(self.url, json=encode(traces, self._scrub), timeout=self._timeout)
        resp.raise_for_status()

    def close(self, timeout: float = 5.0) -> None:
        self.sender.close(timeout)
        self._session.close()
