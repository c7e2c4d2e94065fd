"""Every series the exporter serves carries org="<SENTRY_ORG>" (issue 20, point 7), and the poll
counter's exemplar holds one observation, not the running count (issue 20, point 14)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from inprocess import run
from sentry_exporter import telemetry
from sentry_exporter.collector.family import labelled
from sentry_exporter.server import Exposition
from sentry_simulator import build_demo_org

OPENMETRICS = "application/openmetrics-text;version=1.0.0"


def samples(exporter, accept: str | None = OPENMETRICS):
    body, _ = Exposition(exporter.registry).render(accept)
    parse = text_string_to_metric_families
    if accept is None:
        from prometheus_client.parser import text_string_to_metric_families as parse
    return [s for family in parse(body.decode()) for s in family.samples]


@pytest.fixture
def org(clock):
    return build_demo_org(now=clock())


def test_every_sample_carries_the_org_in_both_formats(exporter, org):
    e = exporter(environments=("production",), quota_budgets=(("error", 1000),), impact_tags=("workspace_id",))
    # The telemetry counters are registered beside the collector, as the CLI does (an unused port: no sending).
    shipping = telemetry.setup(replace(e.config, otlp_endpoint="http://127.0.0.1:9"))
    e.registry.register(shipping)
    try:
        for poller in ("issues", "stats", "impact", "issues"):
            run(e, poller)
        for accept in (OPENMETRICS, None):
            found = samples(e, accept)
            names = {s.name for s in found}
            # the collector's families, the client's own counters, sentry_up and the telemetry's counters
            assert {"sentry_up", "sentry_issues", "sentry_issue_tag_values", "sentry_api_requests_total",
                    "sentry_polls_total", "sentry_exporter_telemetry_items_total", "sentry_series_dropped"} <= names
            unlabelled = sorted({s.name for s in found if s.labels.get("org") != org.slug})
            assert not unlabelled, f"series without org=\"{org.slug}\": {unlabelled}"
    finally:
        shipping.close(timeout=0.1)


def test_a_family_with_an_org_of_its_own_keeps_it():
    family = GaugeMetricFamily("x", "x", labels=["org", "project"])
    family.add_metric(["other", "api"], 1)
    family.add_metric(["", "web"], 2)
    got = [s.labels for s in labelled(family, {"org": "acme"}).samples]
    assert got == [{"org": "other", "project": "api"}, {"org": "", "project": "web"}]
    assert [s.labels for s in family.samples][0] == {"org": "other", "project": "api"}  # the original is untouched


def test_the_poll_exemplar_is_one_run_not_the_running_count(exporter):
    e = exporter()
    for _ in range(5):
        run(e, "issues")
    (polls,) = [s for s in samples(e) if s.name == "sentry_polls_total" and s.labels["poller"] == "issues"
                and s.labels["result"] == "success"]
    assert polls.value == 5
    assert polls.exemplar is not None and len(polls.exemplar.labels["trace_id"]) == 32
    assert polls.exemplar.value == 1  # what client_python's Counter.inc(1, exemplar) records
    assert set(polls.exemplar.labels) == {"trace_id"}  # org is a label of the series, not of the trace
