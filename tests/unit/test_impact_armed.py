"""An unarmed P0 is visible: sentry_impact_configured says whether SENTRY_IMPACT_TAGS is set, and the
thresholds the rule pages on are exported with it."""

from __future__ import annotations

from inprocess import sample


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
