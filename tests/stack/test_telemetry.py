"""The exporter's own traces and logs, as received by real HTTP servers standing in for Tempo and Loki."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest

from receiver import Receiver
from prometheus_client import CollectorRegistry

from sentry_exporter import telemetry
from sentry_exporter.telemetry import tracing
from sentry_exporter.config import ConfigError, load_config

TOKEN = "sntrys_secret_token_value_1234567890"


BASE = {"SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme", "EXPORTER_BEARER_TOKEN": "scrape-secret"}


def shipping(**env: str) -> telemetry.Telemetry:
    return telemetry.setup(load_config({**BASE, **env}))


@pytest.fixture
def root_logger():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.INFO)
    yield root
    root.setLevel(level)
    root.handlers[:] = handlers


def one_poll(log: logging.Logger) -> str:
    """A poll-shaped trace like the client's: a root span and one failed and one good request span."""
    with tracing.span("poll issues", poller="issues") as root:
        trace_id, _ = tracing.current_ids()
        log.info("poll started", extra={"poller": "issues"})
        with tracing.span("GET issues", **{"sentry.endpoint": "issues", "http.request.method": "GET",
                                           "retry.attempt": 1}) as req:
            req.set("http.response.status_code", 429)
            req.set("note", f"Bearer {TOKEN}")  # a careless attribute must still not leak the token
            req.fail()
        with tracing.span("GET issues", **{"sentry.endpoint": "issues", "http.request.method": "GET",
                                           "retry.attempt": 2}) as req:
            req.set("http.response.status_code", 200)
            req.set("rate_limit.remaining", 37)
            req.set("duration_ratio", 0.5)
        log.warning("token was %s", TOKEN)
        root.set("issues", 3)
    return trace_id


def attrs(span: dict) -> dict:
    out = {}
    for a in span["attributes"]:
        (kind, value), = a["value"].items()
        out[a["key"]] = int(value) if kind == "intValue" else value
    return out


def test_a_poll_trace_reaches_the_otlp_endpoint_as_json(root_logger):
    with Receiver() as tempo:
        tel = shipping(OTEL_EXPORTER_OTLP_ENDPOINT=tempo.url + "/")
        trace_id = one_poll(logging.getLogger("sentry_exporter.pollers"))
        tel.close()
        requests = tempo.wait_for(lambda r: r)
    assert [r.path for r in requests] == ["/v1/traces"]
    assert requests[0].headers["Content-Type"] == "application/json"
    body = requests[0].json()
    assert TOKEN not in requests[0].body.decode()
    (resource,) = body["resourceSpans"]
    assert attrs(resource["resource"])["service.name"] == "sentry-exporter"
    spans = resource["scopeSpans"][0]["spans"]
    assert sorted(s["name"] for s in spans) == ["GET issues", "GET issues", "poll issues"]
    assert {s["traceId"] for s in spans} == {trace_id} and re.fullmatch(r"[0-9a-f]{32}", trace_id)
    root = next(s for s in spans if s["name"] == "poll issues")
    children = [s for s in spans if s["name"] == "GET issues"]
    assert "parentSpanId" not in root and attrs(root)["issues"] == 3
    assert all(c["parentSpanId"] == root["spanId"] and re.fullmatch(r"[0-9a-f]{16}", c["spanId"]) for c in children)
    failed, good = sorted(children, key=lambda s: attrs(s)["retry.attempt"])
    assert failed["status"]["code"] == 2 and good["status"]["code"] == 1
    assert failed["kind"] == good["kind"] == 3 and root["kind"] == 1  # client spans for Sentry calls
    assert attrs(good).items() >= {"sentry.endpoint": "issues", "http.response.status_code": 200,
                                   "rate_limit.remaining": 37, "peer.service": "sentry", "duration_ratio": 0.5}.items()
    assert attrs(failed)["note"] == "Bearer [redacted]"
    for s in spans:
        assert int(s["startTimeUnixNano"]) <= int(s["endTimeUnixNano"])


def test_logs_reach_loki_with_low_cardinality_labels_and_the_trace_id(root_logger):
    with Receiver() as loki:
        tel = shipping(LOKI_URL=loki.url)
        log = logging.getLogger("sentry_exporter.pollers")
        log.info("outside any span")
        trace_id = one_poll(log)
        logging.getLogger("urllib3.connectionpool").warning("about the push itself")
        tel.close()
        requests = loki.wait_for(lambda r: r)
    assert {r.path for r in requests} == {"/loki/api/v1/push"}
    raw = b"".join(r.body for r in requests).decode()
    assert TOKEN not in raw and "scrape-secret" not in raw
    streams = [s for r in requests for s in r.json()["streams"]]
    assert {tuple(sorted(s["stream"].items())) for s in streams} == {
        (("level", "info"), ("service", "sentry-exporter")), (("level", "warning"), ("service", "sentry-exporter"))}
    lines = {}
    for s in streams:
        for ts, line in s["values"]:
            assert abs(int(ts) / 1e9 - time.time()) < 60
            record = json.loads(line)
            lines[record["msg"]] = record
    assert set(lines) == {"outside any span", "poll started", "token was [redacted]"}
    assert "trace_id" not in lines["outside any span"]
    assert lines["poll started"]["trace_id"] == trace_id and lines["poll started"]["poller"] == "issues"
    assert lines["token was [redacted]"]["level"] == "warning"


def test_nothing_is_sent_when_no_endpoint_is_configured(root_logger):
    handlers = list(root_logger.handlers)
    tel = shipping(LOKI_URL="", OTEL_EXPORTER_OTLP_ENDPOINT="")
    assert tel.traces is None and tel.logs is None
    assert root_logger.handlers == handlers


def test_a_stalled_backend_never_blocks_the_caller_and_losses_are_counted(root_logger):
    with Receiver(delay=3.0) as loki:
        handler = telemetry.loki.LokiHandler(loki.url + "/loki/api/v1/push", str, timeout=5, max_queue=20)
        logger = logging.getLogger("sentry_exporter.flood")
        logger.addHandler(handler)
        logger.error("first line")  # occupies the sender thread in a push that Loki does not answer
        assert loki.arrived.wait(5)
        started = time.monotonic()
        for i in range(500):
            logger.error("line %d", i)
        elapsed = time.monotonic() - started
        logger.removeHandler(handler)
        assert elapsed < 1.0, f"logging 500 lines took {elapsed:.2f}s with a stalled Loki"
        assert handler.sender.dropped == 500 - 20  # the queue holds 20; the rest is dropped, not buffered
        handler.sender.close(timeout=0.1)


def test_a_failing_backend_counts_failures_and_drops(root_logger):
    with Receiver(status=500) as tempo:
        tel = shipping(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=tempo.url + "/custom/traces")
        one_poll(logging.getLogger("x"))
        tel.close()
        requests = tempo.wait_for(lambda r: r)
    assert requests[0].path == "/custom/traces"
    registry = CollectorRegistry(auto_describe=False)
    registry.register(tel)
    spans = {result: registry.get_sample_value("sentry_exporter_telemetry_items_total",
                                               {"signal": "spans", "result": result}) for result in ("sent", "dropped")}
    assert spans == {"sent": 0, "dropped": 3}  # the poll's three spans, lost in one failed batch
    assert registry.get_sample_value("sentry_exporter_telemetry_batches_failed_total", {"signal": "spans"}) == 1
    assert registry.get_sample_value("sentry_exporter_telemetry_items_total",
                                     {"signal": "logs", "result": "sent"}) is None  # no Loki configured


def test_closing_removes_the_trace_sink(root_logger):
    with Receiver() as tempo:
        tel = shipping(OTEL_EXPORTER_OTLP_ENDPOINT=tempo.url)
        tel.close()
        with tracing.span("poll after close"):
            pass
    assert tel.traces.sender.dropped == 0, "a closed exporter still received traces"


def test_otlp_headers_are_sent_and_masked_in_payloads(root_logger):
    with Receiver() as tempo:
        tel = shipping(OTEL_EXPORTER_OTLP_ENDPOINT=tempo.url,
                                       OTEL_EXPORTER_OTLP_HEADERS="Authorization=Basic%20abc123xyz, X-Scope-OrgID=team")
        with tracing.span("poll", header_echo="abc123xyz", tenant="team"):
            pass
        tel.close()
        (req,) = tempo.wait_for(lambda r: r)
    assert req.headers["Authorization"] == "Basic abc123xyz" and req.headers["X-Scope-OrgID"] == "team"
    assert b"abc123xyz" not in req.body and b'"team"' in req.body  # credentials masked, plain headers not


@pytest.mark.parametrize("env, name", [({"LOKI_URL": "loki:3100"}, "LOKI_URL"),
                                       ({"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://tempo"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
                                       ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://t", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"},
                                        "OTEL_EXPORTER_OTLP_HEADERS")])
def test_bad_telemetry_settings_are_one_line_config_errors(env, name):
    with pytest.raises(ConfigError, match=name) as err:
        load_config({**BASE, **env})
    assert "\n" not in str(err.value)
