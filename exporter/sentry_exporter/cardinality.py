"""The cardinality guard's fold: sentry_issues within SENTRY_MAX_ISSUE_SERIES, its sums exact."""

from __future__ import annotations

from collections import Counter

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
