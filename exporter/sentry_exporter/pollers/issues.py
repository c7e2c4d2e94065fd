"""The unresolved-issues poller: a kept state of every unresolved issue, and two ways to keep it true.

- A full reconciliation lists every unresolved issue (⌈U/100⌉ pages, sort=new) and asks for the
  ones it no longer lists by id (confirm.py) before they count as left. It is what sees resolutions,
  so its cost decides how often it runs (reconcile_period): at start, then as often as
  SENTRY_RECONCILE_PAGES_PER_POLL pages a poll interval pay for, at least every poll and at most
  SENTRY_RECONCILE_INTERVAL_SECONDS apart. A listing that fits in the budget runs in the poll, instead
  of an incremental pass (as with SENTRY_RECONCILE_INTERVAL_SECONDS=0); a dearer one runs as its own
  job (reconcile_due) while the passes go on.
- An incremental pass every SENTRY_POLL_INTERVAL_SECONDS lists sort=date (last seen, newest first)
  and stops at the first page that reaches back past the previous pass's start minus
  SENTRY_INGESTION_GRACE_SECONDS: a new issue's first event is also its last seen, so this one
  listing sees new issues, regressions and event growth, at a page or two a minute. Each page of
  news (issues last seen since the previous pass started) is published at once, so news reaches
  /metrics a page after the pass starts, not after the grace's pages too (without SENTRY_ENVIRONMENTS,
  whose event counters come from Discover once the listing is done).

Both merge into issue_state.IssueState, under its lock, a page at a time; the counts, the top N,
the transitions and the event counters come from it. Without SENTRY_ENVIRONMENTS event growth comes
from each issue's lifetime count (minute resolution, where stats_v2 resolves to an hour); with them,
from Discover (environment_events.py), since a lifetime count is global.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Callable, Iterator, TypeVar

from ..cardinality import cap_issues, cap_top
from ..config import Config
from ..directory import ProjectDirectory, ProjectScopes, Scope
from ..sentry.client import SentryClient
from ..sentry.errors import MalformedResponse, NotFound, SentryError
from ..sentry.flavor import ServerKind
from .confirm import Confirmation, confirm
from .environment_events import EnvironmentEvents, IssueTagEvents
from .issue import READERS, Issue, seen_at, window_seconds
from .issue_state import TRANSITIONS, IssueState

log = logging.getLogger(__name__)

UNRESOLVED = "is:unresolved"
T = TypeVar("T")
_RANK = attrgetter("ranked_events", "id")  # the top N: most events, ties by id
DAY = 86400.0
LEVELS = ("fatal", "error", "warning", "info", "debug")  # src/sentry/constants.py LOG_LEVELS, but NOTSET's "sample"
__all__ = ["Issue", "IssuesPoller", "IssuesResult"]


@dataclass(frozen=True)
class IssuesResult:
    counts: dict[tuple[str, ...], int]   # (project, level, substatus, priority, assignee[, environment]) -> issues
    by_environment: bool
    top: tuple[Issue, ...]               # by events, within SENTRY_MAX_ISSUE_SERIES
    truncated: dict[str, bool]           # query name -> the cap or a cut search left the listing short
    query_counts: dict[tuple[str, str], int]   # (query name, project) -> issues
    new_24h: dict[str, int]              # project -> issues first seen in the last 24h
    transitions: dict[tuple[str, ...], int]   # (project, level[, environment], transition) -> since start
    events_total: dict[tuple[str, ...], int]  # (project, level[, environment]) -> events since start
    assignees: dict[str, str]            # short id -> assignee, for every listed issue (impact series use it)
    dropped: dict[str, int]              # guarded metric -> series the cardinality guard left out or folded
    reconciled_at: float | None = None   # start of the latest complete full listing


class IssuesPoller:
    name = "issues"

    def __init__(self, client: SentryClient, config: Config, directory: ProjectDirectory, kind: ServerKind,
                 clock: Callable[[], float] = time.time):
        self._client, self._config, self._clock, self._kind = client, config, clock, kind
        self._state = IssueState(count_lifetime_events=not config.environments)
        self._period = window_seconds(config.issues_period)
        self._scopes = ProjectScopes(directory, bool(config.projects), "issues", kind)
        # Per-environment event counts: from Discover, or GlitchTip's per-issue environment tags.
        self._environment_events = {
            "sentry": EnvironmentEvents(client, config.org, directory, bool(config.projects), kind),
            "glitchtip": IssueTagEvents(client)} if config.environments else None
        self._reconciling = threading.Lock()  # one reconciliation at a time
        self._unknown_environments: set[str] = set()  # named in SENTRY_ENVIRONMENTS, not known to Sentry yet
        self._listing_pages: int | None = None  # pages of the latest complete reconciliation: its cost
        self._pages_listed = 0                   # of the one under way
        self.publish: Callable[[IssuesResult], None] | None = None  # the app's: data before the pass ends
        self._directory = directory
        self._exposed: set[tuple[str, ...]] = set()  # counter series published by an earlier poll

    def poll(self) -> IssuesResult:
        started = self._clock()
        if not self._state.baselined or self.reconcile_period() <= self._config.poll_interval:
            self.reconcile(wait=True)  # at start (a restart starts with a full listing), or every poll: cheap
        else:
            self._incremental(started)
        events = None
        if self._environment_events:
            known = tuple(e for e in self._config.environments if e not in self._unknown_environments)
            with self._state.lock:
                issues = list({k.issue.id: k.issue for k in self._state.kept.values()}.values())
            events = self._environment_events[self._kind.get().name].totals(started, known, issues)
        result = self._result(started, events)
        self._exposed |= result.transitions.keys() | result.events_total.keys()
        return result

    # ---- the full listing

    def reconcile_period(self) -> float:
        """Seconds between full listings, from the latest one's cost: `pages` at SENTRY_RECONCILE_PAGES_PER_POLL
        a poll interval, within [poll interval, SENTRY_RECONCILE_INTERVAL_SECONDS]. So 1,000 issues (10 pages)
        are listed every poll, 10,000 every 10 polls, 50,000 every SENTRY_RECONCILE_INTERVAL_SECONDS."""
        config = self._config
        if not config.reconcile_interval:
            return 0.0
        if not config.reconcile_pages or self._listing_pages is None:
            return config.reconcile_interval
        return min(config.reconcile_interval,
                   max(config.poll_interval, config.poll_interval * self._listing_pages / config.reconcile_pages))

    def reconcile_due(self) -> bool:
        """A dear listing's time has come: the job runs it, beside the passes (a cheap one runs in the poll)."""
        period = self.reconcile_period()
        with self._state.lock:
            reconciled_at = self._state.reconciled_at
        return period > self._config.poll_interval and reconciled_at is not None \
            and self._clock() - reconciled_at >= period

    def reconcile_and_show(self) -> None:
        """The reconciliation job: a full listing beside the passes, shown when it is done rather than at
        the next pass (so a resolution waits one poll interval less). Not with SENTRY_ENVIRONMENTS, whose
        event counters come from the next pass's Discover call, as for a pass's news."""
        self.reconcile()
        if self.publish is not None and self._environment_events is None:
            self.publish(self._result(self._clock(), None))

    def reconcile(self, wait: bool = False) -> None:
        """List every unresolved issue, merge, and confirm the missing ones by id. The job does not `wait`
        when one is running already; a poll without a baseline does, so it never publishes half a listing."""
        if not self._reconciling.acquire(blocking=wait):
            return
        try:
            started, self._pages_listed = self._clock(), 0
            truncated = {_listing_name(env): self._in_environment(env, lambda: self._reconcile_listing(env, started),
                                                                  False)
                         for env in self._config.environments or (None,)}
            self._check_environments()
            query_counts: Counter[tuple[str, str]] = Counter()
            for named in self._config.queries:
                seen: dict[str, Issue] = {}
                truncated[named.name] = self._list_all(self._params(named.query, False, None), seen)
                query_counts.update((named.name, issue.project) for issue in seen.values())
            with self._state.lock:
                state = self._state
                state.truncated, state.query_counts = truncated, dict(query_counts)
                state.reconciled_at = started
                state.covered_until = max(state.covered_until or started, started)
            self._listing_pages = self._pages_listed
        finally:
            self._reconciling.release()

    def _reconcile_listing(self, environment: str | None, started: float) -> bool:
        """One environment's full listing merged into the state; True when it is known to be short."""
        state = self._state
        seen: dict[str, Issue] = {}
        if self._list_all(self._params(UNRESOLVED, False, environment), seen, True, environment):
            return True  # the cap: what it did not reach is unknown, so nothing leaves
        with state.lock:  # missing: known, not listed, and not seen by any pass since this one started
            missing = {key[0]: kept.issue.project for key, kept in state.kept.items()
                       if key[1] == environment and key[0] not in seen and kept.observed < started}
        if not missing:
            return False
        found = self._confirm(missing, environment, started)
        if not seen and not found.answered:
            where = f" in environment {environment}" if environment else ""
            raise SentryError("issues", f"the server listed no unresolved issues{where} and found none of the "
                                        f"{len(missing)} it listed before by id; it may not read project=-1 as "
                                        f"every project (set SENTRY_PROJECTS). Counts are kept as they were")
        now = self._clock()
        with state.lock:
            state.merge(found.present, environment, now)
            state.depart([(issue_id, environment) for issue_id in found.left], now, found.last, found.asked)
        if found.cut:
            log.warning("issue listing cut short by Sentry: missing issues are unresolved and seen in the window; "
                        "counts keep what the listing could not see",
                        extra={"poller": "issues", "environment": environment, "listed": len(seen)})
        return found.cut

    def _confirm(self, missing: dict[str, str], environment: str | None, started: float) -> Confirmation:
        """Look the missing issues (id -> project slug) up by id, in the listing's scopes. One whose
        project is in none of them any more is gone from every listing the exporter can make: left."""
        found = Confirmation(started)
        lookup = [p for p in self._params(UNRESOLVED, False, environment) if p[0] != "query"]
        asked: set[str] = set()

        def look(scope: Scope) -> None:
            ids = [issue_id for issue_id, project in missing.items() if scope.covers(project)]
            asked.update(ids)
            confirm(self._client, self._config.org, ids, lookup + scope.params(), started - self._period, found,
                    self._clock, self._kind.get())

        self._scopes.each(look)
        found.left.update(missing.keys() - asked)
        return found

    def _list_all(self, params: list[tuple[str, str]], seen: dict[str, Issue], merge: bool = False,
                  environment: str | None = None) -> bool:
        """Every issue of a listing into `seen`, and with `merge` into the state as `environment`'s;
        True when the cap cut it short."""
        cap = self._config.max_issues

        def list_scope(scope: Scope) -> bool:
            if len(seen) >= cap:
                return True  # reached in an earlier project: this one goes unlisted
            for observed, issues, has_next in self._pages(params + scope.params()):
                self._pages_listed += 1  # only reconciliations list all: one at a time
                fresh = [issue for issue in issues if issue.id not in seen][:max(0, cap - len(seen))]
                seen.update((issue.id, issue) for issue in fresh)  # keyset pages can overlap: each issue once
                if merge:
                    with self._state.lock:
                        self._state.merge(fresh, environment, observed)
                if has_next and len(seen) >= cap:
                    return True
            return False

        if any(self._scopes.each(list_scope)):
            log.warning("issue listing truncated at the cap", extra={"query": dict(params)["query"], "cap": cap})
            return True
        return False

    # ---- the incremental pass

    def _incremental(self, started: float) -> None:
        state = self._state
        with state.lock:
            previous = state.covered_until or started
        cutoff = previous - self._config.ingestion_grace
        # Not with SENTRY_ENVIRONMENTS: their event counters come from Discover after the listing, and a
        # new issue must not show before its events do.
        early = self.publish is not None and self._environment_events is None

        def recent(scope: Scope, environment: str | None) -> None:
            listed = 0
            for observed, issues, _ in self._pages(self._params(UNRESOLVED, True, environment) + scope.params()):
                with state.lock:
                    state.merge(issues, environment, observed)
                listed += len(issues)
                if early and issues and max(seen_at(i) for i in issues) >= previous:
                    self.publish(self._result(observed, None))  # news: show it now
                # Newest first: once a page reaches past the cutoff, every later page is older still.
                if not issues or min(seen_at(i) for i in issues) < cutoff or listed >= self._config.max_issues:
                    break

        for environment in self._config.environments or (None,):
            self._in_environment(environment, lambda: self._scopes.each(lambda scope: recent(scope, environment)), [])
        self._check_environments()
        with state.lock:
            state.covered_until = max(state.covered_until or started, started)

    # ---- shared

    def _in_environment(self, environment: str | None, listing: Callable[[], T], nothing: T) -> T:
        """listing() of one environment (None: all at once, without SENTRY_ENVIRONMENTS). Sentry answers 404
        for an environment it does not know (`api/helpers/environments.py` raises ResourceDoesNotExist),
        as it does until an event comes from it: such a one has no issues, said once."""
        try:
            result = listing()
        except NotFound as e:
            if environment is None or e.bare:
                raise
            if environment not in self._unknown_environments:
                log.warning("Sentry does not know the environment %r of SENTRY_ENVIRONMENTS (HTTP 404): no event "
                            "has come from it yet, or the name is wrong; it counts no issues until it exists",
                            environment, extra={"poller": "issues", "environment": environment})
            self._unknown_environments.add(environment)
            return nothing
        if environment is not None:
            self._unknown_environments.discard(environment)
        return result

    def _check_environments(self) -> None:
        """A 404 for every environment is more likely a wrong org, or every name wrong: the poll fails."""
        if self._config.environments and self._unknown_environments >= set(self._config.environments):
            raise SentryError("issues", f"Sentry answered 404 for every environment in SENTRY_ENVIRONMENTS "
                                        f"({', '.join(self._config.environments)}): check SENTRY_ORG and the names", 404)

    def _params(self, query: str, by_last_seen: bool, environment: str | None) -> list[tuple[str, str]]:
        """A listing's parameters but its projects, which the scope adds: newest last seen first, or
        newest first seen first."""
        # By first seen, which never changes, an issue getting events while a full listing pages cannot
        # jump pages; groupStatsPeriod= drops the unused sparkline.
        flavor = self._kind.get()
        sort = flavor.sort_last_seen if by_last_seen else flavor.sort_first_seen
        params = [("query", query), ("statsPeriod", self._config.issues_period), ("limit", "100"),
                  ("sort", sort), ("groupStatsPeriod", "")]
        return params + ([("environment", environment)] if environment else [])

    def _pages(self, params: list[tuple[str, str]]) -> Iterator[tuple[float, list[Issue], bool]]:
        """(when fetched, its usable issues, whether another page follows) for each page of a listing."""
        max_pages = self._config.max_issues // 100 * 2 + 10  # the cap twice over (pages may overlap or hold junk)
        items = usable = 0
        read = READERS[self._kind.get().name]
        for page, has_next in self._client.pages("issues", f"organizations/{self._config.org}/issues/", params,
                                                 max_pages):
            observed = self._clock()
            parsed = []
            for raw in page:
                issue, clean = read(raw)
                if not clean:  # counted, and used when usable: a bad userCount must not drop the issue
                    self._client.stats.count_malformed("issues")
                if issue is not None:
                    parsed.append(issue)
            items, usable = items + len(page), usable + len(parsed)
            # Issues last seen before the window are not in it: Sentry's search leaves them out, GlitchTip
            # has no window (statsPeriod is not among its IssueFilters) and lists every unresolved issue.
            issues = [i for i in parsed if i.last_seen is None or i.last_seen >= observed - self._period]
            if items and not usable:
                raise MalformedResponse("issues", f"every one of the {items} issues listed was malformed")
            yield observed, issues, has_next

    def _result(self, now: float, environment_events: dict[tuple[str, str, str], int] | None) -> IssuesResult:
        state = self._state
        with state.lock:
            state.age_out(now, self._period)
            kept = [(key[1], k.issue) for key, k in state.kept.items()]
            transitions, events_total = dict(state.transitions), dict(state.events_total)
            truncated, query_counts, reconciled_at = dict(state.truncated), state.query_counts, state.reconciled_at
        counts: Counter[tuple[str, ...]] = Counter()
        per_issue: dict[str, Issue] = {}
        for environment, issue in kept:
            counts[(issue.project, issue.level, issue.substatus, issue.priority, issue.assignee)
                   + ((environment,) if environment else ())] += 1
            per_issue[issue.id] = _merge(per_issue.get(issue.id), issue)  # listed once per environment: the sum
        if self._config.environments:
            # Lifetime counts are global: per-environment events come from Discover, or not at all.
            events_total = {**events_total, **environment_events} if environment_events is not None else {}
        transitions, events_total = self._born_at_zero(transitions, events_total, environment_events is not None)
        top = self._top(list(per_issue.values()))
        new_24h = Counter(i.project for i in per_issue.values() if i.first_seen and i.first_seen >= now - DAY)
        folded, dropped = cap_issues(dict(counts), self._config.max_issue_series)
        top, dropped_top = cap_top(top, self._config.max_issue_series)
        return IssuesResult(
            counts=folded, by_environment=bool(self._config.environments), top=top, truncated=truncated,
            query_counts=query_counts, new_24h=dict(new_24h), transitions=transitions, events_total=events_total,
            assignees={i.short_id: i.assignee for i in per_issue.values()}, dropped={**dropped, **dropped_top},
            reconciled_at=reconciled_at)

    def _born_at_zero(self, transitions: dict[tuple[str, ...], int], events_total: dict[tuple[str, ...], int],
                      discover_events: bool) -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], int]]:
        """The counters as published: a series born at 1 has no increase(), so an alert on it never fires.
        Every polled project x level x configured environment is there at 0 from the first poll; any other
        series (a project newer than the directory's last refresh) shows 0 for the rest of the poll that
        found it, and its count from the next poll on."""
        series = [(p.slug, level, *env) for p in self._directory.get() for level in LEVELS
                  for env in ([(e,) for e in self._config.environments] or [()])]

        def published(counters: dict[tuple[str, ...], int], keys: list[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
            shown = dict.fromkeys(keys, 0)
            shown.update({key: value if key in self._exposed else 0 for key, value in counters.items()})
            return shown

        events_keys = series if discover_events or not self._config.environments else []
        return (published(transitions, [key + (t,) for key in series for t in TRANSITIONS]),
                published(events_total, events_keys))

    def _top(self, issues: list[Issue]) -> list[Issue]:
        """The N issues with the most events; a short id seen twice (against the contract) is kept once."""
        n = self._config.top_issues
        ranked = heapq.nlargest(n, issues, key=_RANK)  # profiled at 50,000: the full sort was a third of a result
        top, seen = [], set()
        for issue in ranked if len({(i.short_id, i.project) for i in ranked}) == len(ranked) \
                else sorted(issues, key=_RANK, reverse=True):
            if len(top) == n:
                break
            if (issue.short_id, issue.project) in seen:
                self._client.stats.count_malformed("issues")
                continue
            seen.add((issue.short_id, issue.project))
            top.append(issue)
        return top


def _listing_name(environment: str | None) -> str:
    return "default" if environment is None else f"environment:{environment}"


def _merge(before: Issue | None, issue: Issue) -> Issue:
    if before is None:
        return issue
    # Window counts are per environment in Sentry; a lifetime count is the issue's total in every listing.
    return replace(before, events=_add(before.events, issue.events), users=_add(before.users, issue.users),
                   lifetime_events=max(before.lifetime_events, issue.lifetime_events))


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)
