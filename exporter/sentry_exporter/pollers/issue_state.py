"""The issues the exporter knows, kept between polls: one entry per (issue, environment).

Full listings (reconciliations) and incremental passes both merge what they saw into it, a page at
a time, under one lock that is never held across a request. Per issue the newer observation wins,
judged by last seen, then lifetime count, then when its page was fetched: a reconciliation that
paged for minutes never restores what an incremental pass saw later. Event growth counts once,
against the highest lifetime count ever seen for the issue, whichever pass saw it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from .issue import Issue, seen_at

log = logging.getLogger(__name__)

Key = tuple[str, "str | None"]   # (issue id, environment); None without SENTRY_ENVIRONMENTS
TRANSITIONS = ("new", "regressed", "escalating", "left")
# An event can reach the issue listing some time after its timestamp: an issue first seen just before the
# previous pass, but listed only now, is still new. (One that leaves and returns within this time counts twice.)
INGESTION_GRACE = 900.0
MAX_TRANSITION_LOGS = 100  # per page: a mass event is counted in full but not logged line by line


@dataclass(slots=True)
class Kept:
    issue: Issue
    observed: float   # when the page that carried it was fetched
    peak: int         # the highest lifetime count ever seen: event growth is counted against it


class IssueState:
    def __init__(self, count_lifetime_events: bool):
        """`count_lifetime_events`: event counters grow from lifetime counts. Not with SENTRY_ENVIRONMENTS:
        a lifetime count is the issue's global times_seen (CONTRACT.md §0.1)."""
        self.lock = threading.Lock()
        self._count_events = count_lifetime_events
        self.kept: dict[Key, Kept] = {}
        self._gone: dict[Key, tuple[int, float]] = {}   # departed: (peak lifetime count, when)
        self.transitions: Counter[tuple[str, ...]] = Counter()
        self.events_total: Counter[tuple[str, ...]] = Counter()
        self.covered_until: float | None = None   # start of the latest successful pass
        self.reconciled_at: float | None = None   # start of the latest complete reconciliation
        self.truncated: dict[str, bool] = {}
        self.query_counts: dict[tuple[str, str], int] = {}

    @property
    def baselined(self) -> bool:
        """A full listing has set the baseline: transitions and events count from then on."""
        return self.reconciled_at is not None

    def merge(self, issues: Iterable[Issue], environment: str | None, observed: float) -> None:
        """What one page showed. Call with the lock held."""
        since = self.covered_until if self.baselined else None  # None: the baseline counts nothing
        logged = 0
        for issue in issues:
            key = (issue.id, environment)
            before = self.kept.get(key)
            counted = _series(issue, environment)
            self.events_total[counted] += 0  # counters exist at 0, so rate() sees their first change
            for transition in TRANSITIONS:
                self.transitions[counted + (transition,)] += 0
            seen: list[str] = []
            if before is None:
                gone = self._gone.get(key)
                if gone is not None and observed <= gone[1] and issue.lifetime_events <= gone[0]:
                    continue  # a page fetched before the issue's departure was confirmed: stale
                self._gone.pop(key, None)
                peak = gone[0] if gone else None
                if since is not None and peak is None and issue.first_seen is not None \
                        and issue.first_seen >= since - INGESTION_GRACE:
                    seen.append("new")
                    peak = 0  # all of a new issue's events are new
                grown = issue.lifetime_events - peak if since is not None and peak is not None else 0
                self.kept[key] = before = Kept(issue, observed, max(issue.lifetime_events, peak or 0))
                newer, previous_substatus = True, None
            else:
                grown = issue.lifetime_events - before.peak if since is not None else 0
                old = before.issue
                newer = (seen_at(issue), issue.lifetime_events, observed) > (seen_at(old), old.lifetime_events,
                                                                           before.observed)
                previous_substatus = old.substatus
                before.peak = max(before.peak, issue.lifetime_events)
            if self._count_events and grown > 0 and issue.is_error:
                self.events_total[counted] += grown
            if not newer:
                continue
            before.issue, before.observed = issue, observed
            if since is not None:
                seen += [t for t in ("regressed", "escalating") if issue.substatus == t != previous_substatus]
            for transition in seen:
                self.transitions[counted + (transition,)] += 1
                if logged < MAX_TRANSITION_LOGS:  # one line each, for Grafana annotations from Loki
                    logged += 1
                    _log_transition(transition, issue, environment)

    def depart(self, keys: Iterable[Key], now: float, last: dict[str, Issue] | None = None,
               asked: dict[str, float] | None = None) -> None:
        """Issues that left the unresolved set (confirmed, or aged out); call with the lock held. `last`:
        their final observations by id, where a lookup found them (resolved, say): events an issue got
        after the latest pass saw it, and before it left, still count. `asked`: when each id's lookup was
        sent; an issue a pass observed after its lookup stays (it came back in between: the pass is newer)."""
        for key in keys:
            kept = self.kept.get(key)
            if kept is None or (asked is not None and key[0] in asked and kept.observed > asked[key[0]]):
                continue
            del self.kept[key]
            final = last.get(key[0]) if last else None
            if final is not None and final.lifetime_events > kept.peak:
                if self._count_events and self.baselined and kept.issue.is_error:
                    self.events_total[_series(kept.issue, key[1])] += final.lifetime_events - kept.peak
                kept.peak = final.lifetime_events
            self._gone[key] = (kept.peak, now)
            if self.baselined:
                self.transitions[_series(kept.issue, key[1]) + ("left",)] += 1

    def age_out(self, now: float, period: float) -> None:
        """Issues whose last event left the window leave locally, at no cost; call with the lock held."""
        self.depart([key for key, kept in self.kept.items() if seen_at(kept.issue) < now - period], now)
        # A departed issue's peak lifetime count is kept a window long, so its return counts only new events.
        for key in [key for key, (_, when) in self._gone.items() if when < now - period]:
            del self._gone[key]


def _series(issue: Issue, environment: str | None) -> tuple[str, ...]:
    return (issue.project, issue.level) + ((environment,) if environment else ())


def _log_transition(transition: str, issue: Issue, environment: str | None) -> None:
    log.info("issue %s: %s", transition, issue.short_id, extra={
        "event": "issue_transition", "transition": transition, "issue": issue.short_id,
        "project": issue.project, "issue_level": issue.level, "environment": environment,
        "assignee": issue.assignee, "title": issue.title, "permalink": issue.permalink})
