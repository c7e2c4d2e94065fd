"""The cardinality guard, applied as a poll result is built: each guarded metric within
SENTRY_MAX_ISSUE_SERIES series, and the count of what was left out (sentry_series_dropped).

sentry_issues folds rare assignees into assignee="_other" so its sums stay exact; the per-issue
metrics keep the top issues, and sentry_issue_tag_values keeps whole issues, the most affected first.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol, Sequence, TypeVar

# Metrics whose series come from individual issues, names or tag values: each is capped.
GUARDED = ("sentry_issues", "sentry_issue_window_events", "sentry_issue_users",
           "sentry_issue_first_seen_timestamp_seconds", "sentry_issue_last_seen_timestamp_seconds",
           "sentry_issue_info", "sentry_issue_tag_values")
# The per-issue metrics and the Issue field each one shows (None: every issue has a series).
PER_ISSUE = {"sentry_issue_window_events": "events", "sentry_issue_users": "users",
             "sentry_issue_first_seen_timestamp_seconds": "first_seen",
             "sentry_issue_last_seen_timestamp_seconds": "last_seen", "sentry_issue_info": None}
ASSIGNEE = 4  # position of the assignee in a sentry_issues key: (project, level, substatus, priority, assignee, …)
OTHER = "_other"  # the assignee of issues whose own assignee fell to the cardinality guard


def fold_assignees(counts: dict[tuple[str, ...], int], cap: int) -> dict[tuple[str, ...], int]:
    """Keep the most frequent assignees while the series fit in `cap`; fold the rest into OTHER.

    Assignees are the one unbounded label of sentry_issues (every user of the org); projects, levels,
    statuses and priorities are bounded by the org itself, so they are never folded.
    """
    if len(counts) <= cap:
        return counts
    by_assignee: dict[str, list[tuple[str, ...]]] = {}
    issues: Counter[str] = Counter()
    for key, n in counts.items():
        by_assignee.setdefault(key[ASSIGNEE], []).append(key)
        issues[key[ASSIGNEE]] += n
    folded_keys = Counter(_as_other(key) for key in counts)  # how many assignees feed each folded series
    series = len(folded_keys)  # everyone folded: the fewest series possible
    kept: set[str] = set()
    for assignee in sorted(issues, key=lambda a: (-issues[a], a)):  # most issues first, stable on ties
        keys = [_as_other(key) for key in by_assignee[assignee]]
        emptied = sum(1 for key in keys if folded_keys[key] == 1)  # folded series only this assignee fed
        if series + len(keys) - emptied > cap:
            break
        folded_keys.subtract(keys)
        series += len(keys) - emptied
        kept.add(assignee)
    result: Counter[tuple[str, ...]] = Counter()
    for key, n in counts.items():
        result[key if key[ASSIGNEE] in kept else _as_other(key)] += n
    return dict(result)


def _as_other(key: tuple[str, ...]) -> tuple[str, ...]:
    return key[:ASSIGNEE] + (OTHER,) + key[ASSIGNEE + 1:]


Ranked = TypeVar("Ranked")


def cap_issues(counts: dict[tuple[str, ...], int], cap: int) -> tuple[dict[tuple[str, ...], int], dict[str, int]]:
    """sentry_issues within `cap` series, and how many series the fold removed."""
    folded = fold_assignees(counts, cap)
    return folded, {"sentry_issues": len(counts) - len(folded)}


def cap_top(top: Sequence[Ranked], cap: int) -> tuple[tuple[Ranked, ...], dict[str, int]]:
    """The first `cap` of the ranked top issues, and per metric the series the rest would have had."""
    rest = top[cap:]
    return tuple(top[:cap]), {metric: sum(attr is None or getattr(issue, attr) is not None for issue in rest)
                              for metric, attr in PER_ISSUE.items()}


class _TagRow(Protocol):
    tag_values: dict[str, int]


Row = TypeVar("Row", bound=_TagRow)


def cap_tag_values(rows: Sequence[Row], cap: int) -> tuple[tuple[Row, ...], dict[str, int]]:
    """Whole issue rows (in their rank) while their tag series fit in `cap`; one that does not fit is left out."""
    kept, dropped, budget = [], 0, cap
    for row in rows:
        if len(row.tag_values) > budget:
            dropped += len(row.tag_values)
            continue
        budget -= len(row.tag_values)
        kept.append(row)
    return tuple(kept), {"sentry_issue_tag_values": dropped}
