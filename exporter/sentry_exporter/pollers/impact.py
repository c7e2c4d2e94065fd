"""Who is hurt: distinct values of impact tags (workspace_id, tenant_id, …) for the top issues of 24h.

Two Discover calls a run whatever N is: one ranks the top N issues of the last 24h with
count_unique() of every impact tag; one reads the routing tags (release_stage, …) of those same
issues, so a rule can say "a GA issue affects more than 2 workspaces".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from ..cardinality import cap_tag_values
from ..config import label_name
from ..parsing import count, label
from ..sentry.client import SentryClient
from ..sentry.errors import MalformedResponse


@dataclass(frozen=True)
class ImpactRow:
    issue: str           # short id
    project: str
    events: int
    tag_values: dict[str, int]     # impact tag -> distinct values in 24h
    labels: dict[str, str]         # sanitised routing-tag name -> its most frequent value


@dataclass(frozen=True)
class ImpactResult:
    rows: tuple[ImpactRow, ...]      # ranked by events, within SENTRY_MAX_ISSUE_SERIES tag series
    label_names: tuple[str, ...]
    dropped: dict[str, int]          # guarded metric -> series the cardinality guard left out


class ImpactPoller:
    name = "impact"

    def __init__(self, client: SentryClient, org: str, impact_tags: tuple[str, ...], label_tags: tuple[str, ...],
                 top: int, project_ids: Callable[[], list[str]], max_series: int):
        self._client, self._org = client, org
        self._impact_tags, self._label_tags, self._top, self._max_series = impact_tags, label_tags, top, max_series
        self._project_ids = project_ids

    def poll(self) -> ImpactResult:
        uniques = {tag: f"count_unique(tags[{tag}])" for tag in self._impact_tags}
        rows = self._discover(["issue", "project", "count()", *uniques.values()], sort="-count()", per_page=self._top)
        ranked, seen = [], set()
        for row in rows:
            issue, project = label(row.get("issue")), label(row.get("project"))
            counts = {tag: count(row.get(field)) for tag, field in uniques.items()}
            events = count(row.get("count()"))
            usable = bool(issue and project) and issue not in seen  # Discover groups by issue: once each
            if not usable or events is None or None in counts.values():
                self._client.stats.count_malformed("events")
            if not usable:
                continue
            seen.add(issue)
            ranked.append(ImpactRow(issue, project, events or 0,
                                    {tag: value or 0 for tag, value in counts.items()}, {}))
        labels = self._labels([r.issue for r in ranked]) if self._label_tags and ranked else {}
        names = tuple(label_name(t) for t in self._label_tags)
        rows, dropped = cap_tag_values(
            [ImpactRow(r.issue, r.project, r.events, r.tag_values,
                       {label_name(t): labels.get(r.issue, {}).get(t, "") for t in self._label_tags}) for r in ranked],
            self._max_series)
        return ImpactResult(rows, names, dropped)

    def _labels(self, issues: list[str]) -> dict[str, dict[str, str]]:
        """The most frequent value of each routing tag, per issue (one call for all issues)."""
        columns = [f"tags[{tag}]" for tag in self._label_tags]
        rows = self._discover(["issue", *columns, "count()"], sort="-count()", per_page=100,
                              query=f"issue:[{','.join(issues)}]")
        best: dict[str, dict[str, str]] = defaultdict(dict)
        for row in rows:  # sorted by count, so the first value seen per issue is the most frequent
            issue = label(row.get("issue"))
            if not issue:
                self._client.stats.count_malformed("events")
                continue
            for tag, column in zip(self._label_tags, columns):
                value = label(row.get(column))
                if value and tag not in best[issue]:
                    best[issue][tag] = value
        return best

    def _discover(self, fields: list[str], sort: str, per_page: int, query: str = "") -> list[dict[str, Any]]:
        params = [("dataset", "errors"), ("statsPeriod", "24h"), ("sort", sort), ("per_page", str(per_page)),
                  ("query", query)] + [("field", f) for f in fields] + [("project", p) for p in self._project_ids()]
        body = self._client.get_json("events", f"organizations/{self._org}/events/", params)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            self._client.stats.count_malformed("events")
            raise MalformedResponse("events", "response has no list of data rows")
        rows = [row for row in data if isinstance(row, dict)]
        if len(rows) < len(data):
            self._client.stats.count_malformed("events")
        return rows
