"""Who is hurt: every issue whose distinct values of an impact tag (workspace_id, tenant_id, …) in 24h
exceed the lowest threshold of that tag (SENTRY_IMPACT_THRESHOLDS), counted per tier.

One Discover query per impact tag asks Sentry itself for those issues, whatever their event count:

    field=issue  field=project  field=tags[<tier tag>]  field=count_unique(tags[<tag>])
    query=count_unique(tags[<tag>]):>FLOOR   sort=-count_unique(tags[<tag>])

The aggregate filter is a HAVING on the grouped rows (getsentry/sentry `src/sentry/api/event_search.py`:
`aggregate_numeric_filter = negation? aggregate_key sep operator? numeric_value`, whose
`raw_aggregate_param` admits `tags[...]`; `src/sentry/search/events/builder/base.py`: `resolve_having`
→ `convert_aggregate_filter_to_condition`). Rows are one per (issue, tier) (CONTRACT §0.12), so an issue
in a GA and a Beta connector is counted in each tier apart. Its cost is a page per 100 rows over the
floor, not per issue of the org. The tier tag is the first SENTRY_ISSUE_LABEL_TAGS tag; the other label
tags get their most frequent value per (issue, tier), one query each over the exported issues.

Every page is read, up to SENTRY_MAX_ISSUE_SERIES rows per tag (the series the guard would keep): past
that the least affected are cut, said by `truncated` and a log line. Plans and versions (§0.10, §0.11)
are discover.py's: without Discover the poller is unsupported.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from ..cardinality import cap_tag_values
from ..config import ImpactThreshold, label_name
from ..directory import ProjectDirectory, Scope
from ..parsing import count, label
from ..sentry.client import SentryClient
from ..sentry.flavor import ServerKind
from .discover import Discover, Row

log = logging.getLogger(__name__)

MAX_PER_PAGE = 100   # Discover's per_page cap (§0.12)
ISSUES_PER_QUERY = 100  # issues named in one `issue:[…]` filter: a long list can exceed a proxy's request line (§0.8)


@dataclass(frozen=True)
class ImpactRow:
    issue: str           # short id
    project: str
    tag_values: dict[str, int]     # impact tag -> distinct values in 24h, within this row's tier
    labels: dict[str, str]         # sanitised label-tag name -> the tier, then each other tag's most frequent value in it


@dataclass(frozen=True)
class ImpactResult:
    rows: tuple[ImpactRow, ...]      # most affected first, within SENTRY_MAX_ISSUE_SERIES tag series
    label_names: tuple[str, ...]     # the tier's first
    dropped: dict[str, int]          # guarded metric -> series the cardinality guard left out
    truncated: dict[str, bool]       # impact tag -> rows over its floor were cut at the cap


def floors(impact_tags: tuple[str, ...], thresholds: tuple[ImpactThreshold, ...], tiered: bool) -> dict[str, int]:
    """The lowest threshold of each impact tag: every issue above it is exported. Tiered thresholds
    count only when a tier tag is configured."""
    return {tag: min(t.value for t in thresholds if t.tag == tag and (tiered or not t.tier))
            for tag in impact_tags if any(t.tag == tag and (tiered or not t.tier) for t in thresholds)}


class ImpactPoller:
    name = "impact"

    def __init__(self, client: SentryClient, org: str, directory: ProjectDirectory, filter_projects: bool,
                 impact_tags: tuple[str, ...], label_tags: tuple[str, ...],
                 thresholds: tuple[ImpactThreshold, ...], max_series: int, kind: ServerKind):
        self._client, self._label_tags, self._max_series = client, label_tags, max_series
        self._tier = label_tags[0] if label_tags else None
        self._floors = floors(impact_tags, thresholds, self._tier is not None)
        self._discover = Discover(client, org, directory, filter_projects, kind)
        self._cut: set[str] = set()  # impact tags whose cut was logged, until it heals

    def poll(self) -> ImpactResult:
        tiers = f"tags[{self._tier}]" if self._tier else None
        found: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)  # (issue, project, tier) -> values
        truncated = {}
        for tag, floor in self._floors.items():
            rows, truncated[tag] = self._over_floor(tag, floor, tiers)
            for issue, project, tier, values in rows:
                found[(issue, project, tier)][tag] = values
        ranked = sorted(found.items(), key=lambda item: (-max(item[1].values()), item[0]))
        names = tuple(label_name(t) for t in self._label_tags)
        rows_at = {(issue, project, tier) for (issue, project, tier), _ in ranked}
        frequent = [self._most_frequent(tag, tiers, rows_at) for tag in self._label_tags[1:]]

        def labels(issue: str, tier: str) -> dict[str, str]:
            values = ([tier] if self._tier else []) + [best.get((issue, tier), "") for best in frequent]
            return dict(zip(names, values))

        rows = [ImpactRow(issue, project, values, labels(issue, tier)) for (issue, project, tier), values in ranked]
        kept, dropped = cap_tag_values(rows, self._max_series)
        return ImpactResult(kept, names, dropped, truncated)

    def _over_floor(self, tag: str, floor: int, tiers: str | None) -> tuple[list[tuple[str, str, str, int]], bool]:
        """(issue, project, tier, distinct values) of every row over `floor`, most affected first, and
        whether the cap cut them."""
        unique = f"count_unique(tags[{tag}])"
        fields = ["issue", "project", *([tiers] if tiers else []), unique]
        budget = self._max_series

        def read(scope: Scope) -> tuple[list[tuple[str, str, str, int]], bool]:
            rows, seen = [], set()
            for page in self._pages(fields, f"-{unique}", f"{unique}:>{floor}", scope):
                for row in page:
                    issue, project, values = label(row.get("issue")), label(row.get("project")), count(row.get(unique))
                    tier = (label(row.get(tiers)) or "") if tiers else ""
                    if not (issue and project) or values is None or (issue, tier) in seen:  # one row per group
                        self._client.stats.count_malformed("events")
                        continue
                    seen.add((issue, tier))
                    rows.append((issue, project, tier, values))
                if len(rows) > budget:
                    return rows, True
            return rows, False

        answers = self._discover.scopes.each(read)
        rows = sorted((row for part, _ in answers for row in part), key=lambda r: -r[3])
        cut = any(cut for _, cut in answers) or len(rows) > budget
        if not cut:
            self._cut.discard(tag)
        elif tag not in self._cut:  # said once, not every run
            self._cut.add(tag)
            log.warning("impact: more than %d issues have over %d distinct %s values in 24h; the least affected "
                        "are left out (SENTRY_MAX_ISSUE_SERIES)", budget, floor, tag,
                        extra={"event": "impact_truncated", "tag": tag, "cap": budget})
        return rows[:budget], cut

    def _most_frequent(self, tag: str, tiers: str | None,
                       rows: set[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
        """The most frequent value of a label tag per (issue, tier). Discover answers one row per (issue,
        tier, value), sorted by count: the first row of an (issue, tier) holds its most frequent value,
        so reading stops once every one has its value."""
        column, best = f"tags[{tag}]", {}
        fields = ["issue", *([tiers] if tiers else []), column, "count()"]

        def read(scope: Scope) -> None:
            mine = sorted({issue for issue, project, _ in rows if scope.covers(project)})
            for start in range(0, len(mine), ISSUES_PER_QUERY):
                batch = set(mine[start:start + ISSUES_PER_QUERY])
                wanted = {(issue, tier) for issue, _, tier in rows if issue in batch}
                for page in self._pages(fields, "-count()", f"issue:[{','.join(sorted(batch))}]", scope):
                    for row in page:
                        issue, value = label(row.get("issue")), label(row.get(column))
                        key = (issue, (label(row.get(tiers)) or "") if tiers else "")
                        if not issue:
                            self._client.stats.count_malformed("events")
                        elif value and key not in best:
                            best[key] = value
                    if wanted <= best.keys():
                        break

        self._discover.scopes.each(read)
        return best

    def _pages(self, fields: list[str], sort: str, query: str, scope: Scope) -> Iterator[list[Row]]:
        """Pages of Discover rows over the last 24h."""
        params = [("statsPeriod", "24h"), ("sort", sort), ("per_page", str(MAX_PER_PAGE))]
        return self._discover.pages(params + [("field", f) for f in fields] + scope.params(), query)
