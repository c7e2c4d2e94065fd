"""The impact poll and the P0 page's settings.

    sentry_impact_configured 0|1                          always: 0 = the P0 page cannot fire
    sentry_impact_threshold{tag, <tier label>} N          per SENTRY_IMPACT_THRESHOLDS line in use
    sentry_issue_tag_values{issue, project, tag, assignee, <tier label>, <label tags>…} N
    sentry_impact_truncated{tag} 0|1                      1: issues over the floor were cut at the cap
"""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from ..config import Config, label_name
from ..snapshot import Snapshot
from .family import cached, filled, gauge


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    yield from _settings(config)
    r = snapshot.results.impact
    if r is None:
        return
    assignees = snapshot.results.issues.assignees if snapshot.results.issues else {}
    values = cached(
        "sentry_issue_tag_values", "Distinct values of an impact tag (SENTRY_IMPACT_TAGS) in the last 24h of "
        "every issue over the tag's lowest threshold, per tier (the first SENTRY_ISSUE_LABEL_TAGS tag), with the "
        "other routing tags' most frequent values and the owner as labels.",
        ["issue", "project", "tag", "assignee", *r.label_names])
    for row in r.rows:
        owner = assignees.get(row.issue, "unknown")  # unknown: not in the unresolved listing
        for tag, count in sorted(row.tag_values.items()):
            values.add_metric([row.issue, row.project, tag, owner, *(row.labels[n] for n in r.label_names)], count)
    yield values
    yield filled(GaugeMetricFamily("sentry_impact_truncated", "1 when more issues exceeded the tag's lowest "
                                   "threshold than SENTRY_MAX_ISSUE_SERIES: the least affected are not exported.",
                                   labels=["tag"]), {tag: float(cut) for tag, cut in r.truncated.items()})


def _settings(config: Config) -> Iterator[Metric]:
    yield gauge("sentry_impact_configured", "1 when SENTRY_IMPACT_TAGS is set; 0: no issue's impact is measured "
                "and the P0 page (SentryIssueHighImpact) cannot fire.", value=float(bool(config.impact_tags)))
    if not config.impact_tags:
        return
    tier = [label_name(config.label_tags[0])] if config.label_tags else []
    thresholds = GaugeMetricFamily("sentry_impact_threshold", "SENTRY_IMPACT_THRESHOLDS: an issue pages when its "
                                   "distinct values of the tag in 24h exceed this, in its tier (no tier label: "
                                   "issues without a tier).", labels=["tag", *tier])
    for t in config.impact_thresholds:
        if t.tag in config.impact_tags and (tier or not t.tier):
            thresholds.add_metric([t.tag, *([t.tier] if tier else [])], t.value)
    yield thresholds
