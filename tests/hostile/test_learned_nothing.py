"""A poll that learned nothing is not a success (issue 12): every item malformed fails the poll."""

from __future__ import annotations

from badservers import json_reply
from pipeline import Pipeline
from tools import sample_values

PROJECTS = [{"id": "1", "slug": "api", "platform": "python"}]
BROKEN_GROUPS = {"groups": [{"by": {"project": 1, "category": "error"}, "totals": {"sum(quantity)": 5}},
                            {"by": {"project": 1, "category": "error", "outcome": "accepted"}, "totals": {}}]}


def test_a_stats_poll_whose_every_group_is_malformed_fails(scripted):
    server = scripted(lambda endpoint, params: json_reply(PROJECTS if endpoint == "projects" else BROKEN_GROUPS))
    pipeline = Pipeline(server.url)
    try:
        stats = next(job.poller for job in pipeline.exporter.jobs if job.poller.name == "stats")
        assert not pipeline.exporter.run_poller(stats)
        text = pipeline.exporter.exposition().decode()
    finally:
        pipeline.close()
    assert sample_values(text, "sentry_poll_success")[(("org", "acme"), ("poller", "stats"))] == 0.0
    assert sample_values(text, "sentry_api_malformed_responses_total")[(("endpoint", "stats_v2"), ("org", "acme"))] == 2.0
