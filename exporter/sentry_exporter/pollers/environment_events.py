"""Error events per (project, level, environment) since the exporter started, from Discover.

With SENTRY_ENVIRONMENTS an issue's lifetime count cannot say which environment grew: it is the
issue's global times_seen whatever environment is asked for (CONTRACT.md §0.1). Discover's `count()`
grouped by project, environment and level can, over explicit `start`/`end` windows; its time condition
is `timestamp >= start AND timestamp < end` (`search/events/builder/base.py`), so adjacent windows
count each event once. Windows are anchored to the first poll:

- the open range, [frozen_until, now), is asked for on every poll, so events that land late (up to
  LAG_HORIZON after their timestamp) still count;
- once a LAG_HORIZON-long step of it is older than LAG_HORIZON it is asked for once more and frozen.

So each poll costs one call (plus one each LAG_HORIZON), the resolution is the poll interval, and a
restart starts again from zero instead of counting anything twice. Discover refused (a bare 404,
§0.10) before it ever answered means the plan lacks it: said once, the counters are left out, and it
is asked again at every poll (a plan upgrade brings them back). Refused after it has answered, it is
a failure like an outage: the issues poll fails, its last values stay and sentry_up goes to 0 (the
rule of pollers.Unsupported). Plans without global-views and versions without dataset=errors are
discover.py's.

GlitchTip has no Discover, and an environment-filtered listing's `count` is the issue's total there,
so adding listings up would count an issue's events once per environment. It says how many of an
issue's events came from each environment at `issues/{id}/tags/?key=environment` (`apps/issue_events/
api/issues.py` list_issue_tags: `topValues` of value and count). IssueTagEvents asks that only for
issues whose lifetime count grew, and counts the growth of each environment's share.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from typing import Iterable

from ..directory import ProjectDirectory, Scope
from ..parsing import count, iso_time, label
from ..sentry.client import SentryClient
from ..sentry.errors import NotFound, SentryError
from ..sentry.flavor import ServerKind
from . import Unsupported
from .discover import Discover
from .issue import Issue

log = logging.getLogger(__name__)

LAG_HORIZON = 600.0   # events landing later than this after their timestamp are not counted
MAX_PAGES = 100       # 10,000 (project, environment, level) rows

Series = tuple[str, str, str]   # (project, level, environment)


class EnvironmentEvents:
    def __init__(self, client: SentryClient, org: str, directory: ProjectDirectory, filtered: bool,
                 kind: ServerKind):
        self._discover, self._stats = Discover(client, org, directory, filtered, kind), client.stats
        self._frozen: Counter[Series] = Counter()
        self._frozen_until: float | None = None
        self._last: dict[Series, int] = {}
        self._answered = False   # Discover has answered once: from then on a refusal is a failure
        self._said = False       # that Discover is missing, said once

    def totals(self, now: float, environments: tuple[str, ...], issues: Iterable[Issue] = ()
               ) -> dict[Series, int] | None:
        """Events since the first call, per series, of the `environments` Sentry knows (Discover answers
        404 when any one is unknown); None while Discover has never been available."""
        if self._frozen_until is None:
            self._frozen_until = float(int(now))  # whole seconds: the ISO bounds we send
        try:
            if now - self._frozen_until >= 2 * LAG_HORIZON:
                step = self._frozen_until + LAG_HORIZON
                self._frozen.update(self._count(self._frozen_until, step, environments))
                self._frozen_until = step
            # Up to the next whole second: the open range is asked for again anyway, so nothing counts twice.
            current = self._frozen + self._count(self._frozen_until, float(math.ceil(now)), environments)
        except Unsupported as e:
            if self._answered:
                raise SentryError("events", f"{e}, after it had answered; the counters keep their last "
                                            f"values", 404) from None
            self._frozen_until = float(int(now))  # counting starts at the latest refusal, not at the first poll
            if not self._said:
                self._said = True
                log.warning("per-environment event counts need Discover, which this organization's plan or "
                            "Sentry version does not offer (HTTP 404 on /events/); sentry_issue_events_total is "
                            "left out, and asked for again at every poll", extra={"poller": "issues"})
            return None
        # A counter never goes down, even if Sentry revises a window downwards.
        self._last = {key: max(current.get(key, 0), self._last.get(key, 0)) for key in {*current, *self._last}}
        return dict(self._last)

    def _count(self, start: float, end: float, environments: tuple[str, ...]) -> Counter[Series]:
        if end <= start or not environments:  # none: Discover would count every environment
            return Counter()
        return sum(self._discover.scopes.each(lambda scope: self._count_scope(scope, start, end, environments)),
                   Counter())

    def _count_scope(self, scope: Scope, start: float, end: float, environments: tuple[str, ...]
                     ) -> Counter[Series]:
        totals: Counter[Series] = Counter()
        params = [("field", "project"), ("field", "environment"), ("field", "level"), ("field", "count()"),
                  ("sort", "-count()"), ("per_page", "100"), ("start", iso_time(start)), ("end", iso_time(end))]
        params += [("environment", e) for e in environments] + scope.params()
        for rows in self._discover.pages(params, "", MAX_PAGES):
            for row in rows:
                series, events = _row(row)
                if series is None:
                    self._stats.count_malformed("events")
                else:
                    totals[series] += events
        self._answered = True
        return totals


def _row(row: object) -> tuple[Series | None, int]:
    if not isinstance(row, dict):
        return None, 0
    project, environment = label(row.get("project")), label(row.get("environment"))
    events = count(row.get("count()"))
    if not project or not environment or events is None:
        return None, 0
    return (project, label(row.get("level"), "unknown"), environment), events



class IssueTagEvents:
    """Error events per (project, level, environment) since the first call, from GlitchTip's per-issue
    environment tag counts. The first call records every issue's counts and counts none; after it, an
    issue first seen since then counts all its events, and a known one the growth of each share."""

    def __init__(self, client: SentryClient):
        self._client = client
        self._read: dict[str, dict[str, int]] = {}   # issue id -> environment -> events, at its last read
        self._lifetime: dict[str, int] = {}          # issue id -> lifetime count at its last read
        self._since: float | None = None             # the first call
        self._totals: Counter[Series] = Counter()

    def totals(self, now: float, environments: tuple[str, ...], issues: Iterable[Issue] = ()
               ) -> dict[Series, int] | None:
        baseline = self._since is None
        if baseline:
            self._since = now
        for issue in issues:
            if self._lifetime.get(issue.id) == issue.lifetime_events or not issue.is_error:
                continue  # nothing new: no call
            before = self._read.get(issue.id)
            if before is None and not baseline and issue.first_seen is not None and issue.first_seen >= self._since:
                before = {}  # new since the first call: every event of it is new
            shares = self._shares(issue.id)
            if shares is None:
                continue  # deleted since it was listed
            if before is not None:
                for environment in environments:
                    grown = shares.get(environment, 0) - before.get(environment, 0)
                    if grown > 0:
                        self._totals[(issue.project, issue.level, environment)] += grown
            self._read[issue.id], self._lifetime[issue.id] = shares, issue.lifetime_events
        listed = set()
        for issue in issues:  # every polled series from 0, so the first increase shows
            listed.add(issue.id)
            for environment in environments:
                self._totals[(issue.project, issue.level, environment)] += 0
        for gone in set(self._lifetime) - listed:  # left the unresolved set: its shares go with it
            self._lifetime.pop(gone)
            self._read.pop(gone, None)
        return dict(self._totals)

    def _shares(self, issue_id: str) -> dict[str, int] | None:
        """Events of the issue per environment; None when the issue is gone (a 404)."""
        try:
            body = self._client.get_json("issue_tags", f"issues/{issue_id}/tags/", [("key", "environment")])
        except NotFound as e:
            if e.bare:  # no such route at all: not a deleted issue
                raise
            return None
        shares: dict[str, int] = {}
        for tag in body if isinstance(body, list) else []:
            values = tag.get("topValues") if isinstance(tag, dict) and tag.get("key") == "environment" else None
            for value in values if isinstance(values, list) else []:
                name = label(value.get("value")) if isinstance(value, dict) else ""
                events = count(value.get("count")) if isinstance(value, dict) else None
                if not name or events is None:
                    self._client.stats.count_malformed("issue_tags")
                    continue
                shares[name] = events
        if not isinstance(body, list):
            self._client.stats.count_malformed("issue_tags")
        return shares
