"""The real `sentry-exporter --demo` process sends its poll traces and logs to test servers
standing in for Tempo and Loki, configured only by the variables compose and Railway set."""

from __future__ import annotations

import json

import pytest

from receiver import Receiver
from tools import ExporterProcess, sample_values


def spans_of(requests) -> list[dict]:
    return [s for r in requests for rs in r.json()["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def run_demo_exporter(timeout: float = 30):
    """Start the demo exporter pointed at two receivers; return (trace requests, log requests, /metrics)."""
    with Receiver() as tempo, Receiver() as loki:
        exporter = ExporterProcess({"SENTRY_DEMO": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": tempo.url, "LOKI_URL": loki.url})
        try:
            exporter.wait_ready()
            traces = tempo.wait_for(lambda r: any(s.get("parentSpanId") for s in spans_of(r)), timeout)
            logs = loki.wait_for(lambda r: any(b"poll done" in req.body for req in r), timeout)
            metrics = exporter.metrics()
        finally:
            exporter.stop()
    return traces, logs, metrics


@pytest.fixture(scope="module")
def shipped():
    return run_demo_exporter()


def test_the_demo_exporter_ships_a_trace_per_poll_with_a_span_per_sentry_request(shipped):
    traces, _, _ = shipped
    assert {r.path for r in traces} == {"/v1/traces"}
    spans = spans_of(traces)
    roots = [s for s in spans if "parentSpanId" not in s]
    assert roots and all(s["name"].startswith("poll ") for s in roots)
    requests_spans = [s for s in spans if s["kind"] == 3]
    assert requests_spans, "no span per Sentry request"
    root_ids = {s["spanId"] for s in spans}
    assert all(s["parentSpanId"] in root_ids for s in requests_spans)
    attributes = {a["key"] for s in requests_spans for a in s["attributes"]}
    assert {"sentry.endpoint", "http.response.status_code"} <= attributes
    body = "".join(r.body.decode() for r in traces)
    assert '"sentry-exporter"' in body and "sntrys_" not in body


def test_the_demo_exporter_ships_its_logs_with_low_cardinality_labels(shipped):
    _, logs, _ = shipped
    assert {r.path for r in logs} == {"/loki/api/v1/push"}
    streams = [s for r in logs for s in r.json()["streams"]]
    assert streams and all(set(s["stream"]) == {"service", "level"} for s in streams)
    assert {s["stream"]["service"] for s in streams} == {"sentry-exporter"}
    records = [json.loads(line) for s in streams for _, line in s["values"]]
    assert any(r["msg"] == "poll done" for r in records)


def test_poll_log_lines_carry_the_trace_id_of_a_shipped_trace(shipped):
    traces, logs, _ = shipped
    trace_ids = {s["traceId"] for s in spans_of(traces)}
    records = [json.loads(line) for r in logs for s in r.json()["streams"] for _, line in s["values"]]
    assert any(r.get("trace_id") in trace_ids for r in records if r["msg"] == "poll done")


def test_what_was_shipped_is_counted_on_metrics(shipped):
    _, _, metrics = shipped
    # in demo mode the org label is the demo org's slug, as on every series
    sent = {signal: sample_values(metrics, "sentry_exporter_telemetry_items_total").get(
        (("org", "demo"), ("result", "sent"), ("signal", signal))) for signal in ("logs", "spans")}
    assert all(sent.values()), sent
    failed = sample_values(metrics, "sentry_exporter_telemetry_batches_failed_total")
    assert failed == {(("org", "demo"), ("signal", "logs")): 0, (("org", "demo"), ("signal", "spans")): 0}
