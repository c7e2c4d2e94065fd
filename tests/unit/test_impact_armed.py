"""An unarmed P0 is visible: sentry_impact_configured says whether SENTRY_IMPACT_TAGS is set, and the
thresholds the rule pages on are exported with it. A cut of the issues over the floor is exported too."""

from __future__ import annotations

import logging

from inprocess import run, sample
from sentry_exporter.config import ImpactThreshold


def test_without_impact_tags_the_p0_says_it_is_not_armed(exporter):
    e = exporter()
    assert sample(e, "sentry_impact_configured") == 0
    assert sample(e, "sentry_impact_threshold", tag="workspace_id", release_stage="GA") is None


def test_with_impact_tags_it_is_armed_with_its_thresholds(exporter):
    e = exporter(impact_tags=("workspace_id",), label_tags=("release_stage", "failure_origin"))
    assert sample(e, "sentry_impact_configured") == 1
    assert sample(e, "sentry_impact_threshold", tag="workspace_id", release_stage="GA") == 2
    assert sample(e, "sentry_impact_threshold", tag="workspace_id", release_stage="Beta") == 5
    assert sample(e, "sentry_impact_threshold", tag="workspace_id", release_stage="") == 5


def test_a_cut_at_the_series_cap_is_exported_and_said_once(exporter, org, clock, caplog):
    for n in range(30):
        issue = org.create_issue("api")
        for workspace in range(1 + n % 3):
            org.record_events(issue.id, 1, at=clock() - 600, tags={"workspace_id": f"w{n}-{workspace}"})
    e = exporter(impact_tags=("workspace_id",), impact_thresholds=(ImpactThreshold("workspace_id", "", 0),),
                 max_issue_series=10)
    with caplog.at_level(logging.WARNING):
        run(e, "impact")
        run(e, "impact")
    assert sample(e, "sentry_impact_truncated", tag="workspace_id") == 1
    kept = [s for f in e.registry.collect() if f.name == "sentry_issue_tag_values" for s in f.samples]
    assert len(kept) == 10 and min(s.value for s in kept) == 3  # the most affected are kept
    assert len([r for r in caplog.records if getattr(r, "event", None) == "impact_truncated"]) == 1
