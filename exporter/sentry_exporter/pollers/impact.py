"""Who is hurt: distinct values of impact tags (workspace_id, tenant_id, …) for the top issues of 24h.

Two Discover queries a run: one ranks the top N issues of the last 24h with count_unique() of every
impact tag; one reads the routing tags (release_stage, …) of those same issues, so a rule can say
"a GA issue affects more than 2 workspaces". Discover answers one row per combination of the
selected values, at most 100 a page (CONTRACT §0.12), so the second query reads page after page
until every issue has its labels.

Plans and versions (§0.10, §0.11) are discover.py's: without Discover the poller is unsupported.
"""

from __future__ import annotations

import heapq
from itertools import islice
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from ..cardinality import cap_tag_values
from ..config import label_name
from ..directory import ProjectDirectory, Scope
from ..parsing import count, label
from ..sentry.client import SentryClient
from ..sentry.flavor import ServerKind
from .discover import Discover, Row

MAX_PER_PAGE = 100    # Discover's per_page cap (§0.12)
MAX_LABEL_PAGES = 20  # 2,000 label rows at most, should a server never end the list


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

    def __init__(self, client: SentryClient, org: str, directory: ProjectDirectory, filter_projects: bool,
                 impact_tags: tuple[str, ...], label_tags: tuple[str, ...], top: int, max_series: int,
                 kind: ServerKind):
        self._client, self._org = client, org
        self._impact_tags, self._label_tags, self._top, self._max_series = impact_tags, label_tags, top, max_series
        self._discover = Discover(client, org, directory, filter_projects, kind)

    def poll(self) -> ImpactResult:
        uniques = {tag: f"count_unique(tags[{tag}])" for tag in self._impact_tags}
        fields = ["issue", "project", "count()", *uniques.values()]
        # The top N of each project hold the top N of all: merged by count when asked project by project.
        tops = self._discover.scopes.each(lambda scope: next(self._pages(fields, self._top, "", scope), []))
        rows = heapq.merge(*tops, key=lambda row: -(count(row.get("count()")) or 0))
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
            if len(ranked) == self._top:
                break
        labels = self._labels(ranked) if self._label_tags and ranked else {}
        names = tuple(label_name(t) for t in self._label_tags)
        rows, dropped = cap_tag_values(
            [ImpactRow(r.issue, r.project, r.events, r.tag_values,
                       {label_name(t): labels.get(r.issue, {}).get(t, "") for t in self._label_tags}) for r in ranked],
            self._max_series)
        return ImpactResult(rows, names, dropped)

    def _labels(self, ranked: list[ImpactRow]) -> dict[str, dict[str, str]]:
        """The most frequent value of each routing tag, per issue. Rows come one per combination of
        values, sorted by count: read until every issue has every tag, or the rows end."""
        columns = [f"tags[{tag}]" for tag in self._label_tags]
        best: dict[str, dict[str, str]] = defaultdict(dict)

        def read(scope: Scope) -> None:
            issues = [r.issue for r in ranked if scope.covers(r.project)]
            if not issues:
                return
            pages = self._pages(["issue", *columns, "count()"], MAX_PER_PAGE, f"issue:[{','.join(issues)}]", scope)
            for page in islice(pages, MAX_LABEL_PAGES):
                for row in page:
                    issue = label(row.get("issue"))
                    if not issue:
                        self._client.stats.count_malformed("events")
                        continue
                    for tag, column in zip(self._label_tags, columns):
                        value = label(row.get(column))
                        if value and tag not in best[issue]:  # the first value seen is the most frequent
                            best[issue][tag] = value
                if all(len(best[issue]) == len(columns) for issue in issues):
                    return

        self._discover.scopes.each(read)
        return best

    def _pages(self, fields: list[str], per_page: int, query: str, scope: Scope) -> Iterator[list[Row]]:
        """Pages of Discover rows sorted by -count() over the last 24h."""
        params = [("statsPeriod", "24h"), ("sort", "-count()"), ("per_page", str(per_page))]
        return self._discover.pages(params + [("field", f) for f in fields] + scope.params(), query)
