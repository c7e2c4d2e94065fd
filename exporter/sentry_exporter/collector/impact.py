"""The impact poll: distinct impact-tag values per top issue, with its routing tags and owner."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import Metric

from ..config import Config
from ..snapshot import Snapshot
from .family import cached


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.impact
    if r is None:
        return
    assignees = snapshot.results.issues.assignees if snapshot.results.issues else {}
    values = cached(
        "sentry_issue_tag_values", "Distinct values of an impact tag (SENTRY_IMPACT_TAGS) on a top issue's events "
        "in the last 24h, with its routing tags (SENTRY_ISSUE_LABEL_TAGS) and owner as labels.",
        ["issue", "project", "tag", "assignee", *r.label_names])
    for row in r.rows:
        owner = assignees.get(row.issue, "unknown")  # unknown: not in the unresolved listing
        for tag, count in sorted(row.tag_values.items()):
            values.add_metric([row.issue, row.project, tag, owner, *(row.labels[n] for n in r.label_names)], count)
    yield values
