"""The OpenMetrics answer Prometheus 3 negotiates first parses with client_python's strict parser."""

from __future__ import annotations

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from inprocess import run
from sentry_exporter.config import NamedQuery
from sentry_exporter.server import Exposition
from sentry_simulator import build_demo_org

# What Prometheus 3 sends by default (scrape_protocols: OpenMetricsText1.0.0 first).
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;"
                     "q=0.4,text/plain;version=1.0.0;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1")


@pytest.fixture
def org(clock):
    return build_demo_org(now=clock())


def test_the_full_demo_exposition_is_valid_openmetrics(exporter, clock):
    e = exporter(impact_tags=("workspace_id",), label_tags=("release_stage",), environments=("production", "staging"),
                 releases_per_project=3, queries=(NamedQuery("checkout", "is:unresolved checkout"),),
                 quota_budgets=(("error", 1000),))
    for poller in ("issues", "stats", "releases", "impact"):
        run(e, poller)
    clock.advance(60)
    run(e, "issues")  # the event counters need a second poll
    body, content_type = Exposition(e.registry).render(PROMETHEUS_ACCEPT)
    assert content_type.startswith("application/openmetrics-text")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}  # raises on "Clashing name"
    assert families["sentry_issue_events"].type == "counter" and families["sentry_issue_events"].samples
    assert families["sentry_issue_window_events"].type == "gauge" and families["sentry_issue_window_events"].samples
