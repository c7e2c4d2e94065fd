"""OTLP/HTTP trace export with the JSON encoding (standard library + requests only).

A `tracing` sink: the spans of each finished poll trace are enqueued, and a background thread
POSTs batches to `{OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` as `application/json`.

Why our own encoding, not opentelemetry-sdk with its OTLP exporter: this file and tracing.py are
about 200 lines; the SDK path would save about 100 of them but brings 11 packages (9.5 MB, protobuf
among them) and about 100 ms more import time, and its BatchSpanProcessor does not report the spans
it drops, which sentry_exporter_telemetry_items_total must count. Tempo takes OTLP/JSON as it is.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import requests

from .. import __version__
from .tracing import Span
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


def encode(spans: list[Span], scrub: Callable[[str], str]) -> dict[str, Any]:
    """One ExportTraceServiceRequest holding the given spans."""
    return {"resourceSpans": [{
        "resource": {"attributes": _attributes({"service.name": SERVICE_NAME,
                                                "service.version": __version__}, scrub)},
        "scopeSpans": [{
            "scope": {"name": "sentry_exporter", "version": __version__},
            "spans": [encode_span(s, scrub) for s in spans],
        }],
    }]}


class OtlpTraceExporter:
    """Call it with a finished trace (it is a tracing sink); it never blocks the caller."""

    def __init__(self, url: str, scrub: Callable[[str], str], headers: Mapping[str, str] | None = None,
                 timeout: float = 5.0, max_queue: int = 4096) -> None:
        self.url = url
        self._scrub = scrub
        self._timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False  # an internal collector: no proxy, no .netrc credentials
        self._session.headers.update({"Content-Type": "application/json", **(headers or {})})
        self.sender: BatchSender[Span] = BatchSender("otlp", self._post, max_queue=max_queue, max_batch=512)

    def __call__(self, spans: list[Span]) -> None:
        for span in spans:
            self.sender.offer(span)

    def _post(self, spans: list[Span]) -> None:
        resp = self._session.post(self.url, json=encode(spans, self._scrub), timeout=self._timeout)
        resp.raise_for_status()

    def close(self, timeout: float = 5.0) -> None:
        self.sender.close(timeout)
        self._session.close()
