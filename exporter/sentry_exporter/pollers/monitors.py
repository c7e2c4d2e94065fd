"""Sentry Crons: every monitor with its environments, and its check-ins counted by status.

Cost per run: one call per 100 monitors (`organizations/{org}/monitors/`), plus the check-ins of each
monitor whose environments changed since the previous run (a monitor without environments has no
check-ins yet and costs nothing), at most SENTRY_MONITORS_MAX_CHECKIN_CALLS monitors a run; the rest
wait for the next run. "Changed" compares each environment's status, lastCheckIn and nextCheckIn: a
missed check-in moves nextCheckIn, not lastCheckIn (`src/sentry/monitors/models.py`: last_checkin "does
not include auto-generated missed check-ins").

Check-ins are asked by the monitor's id: slugs are unique per project only, and Sentry answers a slug
shared by several projects with the oldest of those monitors (CONTRACT §0.16,
`src/sentry/monitors/endpoints/base.py` get_monitor_by_org_id_or_slug). They are read by window, every
page of it: since the monitor's previous read (less OVERLAP for clock skew, and from its oldest
check-in still in progress), so no check-in made between two reads is lost however many there were.

The counters follow the lifecycle counters' rule: the first run records the newest BASELINE check-in
ids of each monitor and counts none; after that a check-in is counted once per status it is seen with,
by its id (`in_progress` when it starts, then its final status). A monitor first read after the first
run (new, or deferred by the cap) counts its check-ins made since the previous run.

GlitchTip's `organizations/{org}/monitors/` are its own monitors (glitchtip_monitors.py). A Heartbeat
monitor means what a cron monitor does, so it is read as one, named by its name (GlitchTip has no
slug), in one environment: `ok` while its latest check is up, `error` when down, `active` before
its first check. Its check-ins are its checks, `ok` or `missed`, one call per heartbeat monitor a
run; it has no durations and no next check-in (absent). The other kinds are uptime.py's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..parsing import count, iso_time, label
from ..sentry.client import SentryClient
from ..sentry.errors import MalformedResponse, SentryError
from ..sentry.flavor import ServerKind
from . import glitchtip_monitors as glitchtip
from . import unsupported_endpoint
from ..parsing import parse_time

# CheckInStatus.as_choices() in src/sentry/monitors/models.py
CHECKIN_STATUSES = ("ok", "error", "in_progress", "missed", "timeout", "unknown")
# MonitorStatus.as_choices(): what a listed environment can be (deletions are not listed)
ENVIRONMENT_STATUSES = ("active", "ok", "error", "disabled")
# GlitchTip's heartbeat checks: a check-in that came, or one that did not (glitchtip_monitors.py)
GLITCHTIP_STATUSES = ("ok", "missed")
PAGE = 100
BASELINE = 100    # check-ins whose ids the first read of a monitor records; it counts none
OVERLAP = 300.0   # seconds a window reaches back before the previous read: clock skew, late writes


@dataclass(frozen=True)
class MonitorEnvironment:
    name: str
    status: str
    muted: bool
    last_checkin: float | None
    next_checkin: float | None
    next_checkin_latest: float | None


@dataclass(frozen=True)
class Monitor:
    id: str                                 # the guid: what the check-ins endpoint resolves unambiguously
    project: str
    slug: str
    team: str                               # the owner team's slug; "" for a user or no owner
    environments: tuple[MonitorEnvironment, ...]   # empty until the monitor's first check-in

    @property
    def key(self) -> tuple[str, str]:
        return self.project, self.slug


@dataclass(frozen=True)
class MonitorsResult:
    monitors: tuple[Monitor, ...]
    checkins: dict[tuple[str, str, str, str], int]   # (project, monitor, environment, status) -> since start
    last_duration: dict[tuple[str, str, str], float]  # (project, monitor, environment) -> seconds
    deferred: int                                     # monitors whose check-ins wait for the next run


@dataclass
class _Counting:
    # Keyed by (project, slug): a slug is unique per project (Monitor.Meta.unique_together), not per org.
    seen: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)  # check-in id -> statuses
    read_at: dict[tuple[str, str], float] = field(default_factory=dict)  # when its check-ins were last read
    open_since: dict[tuple[str, str], float] = field(default_factory=dict)  # its oldest check-in in progress
    fingerprints: dict[tuple[str, str], tuple] = field(default_factory=dict)  # environments as last read
    counts: Counter = field(default_factory=Counter)
    durations: dict[tuple[str, str, str], float] = field(default_factory=dict)
    previous_run: float | None = None


class MonitorsPoller:
    name = "monitors"

    def __init__(self, client: SentryClient, org: str, project_ids, max_checkin_calls: int, clock,
                 directory, kind: ServerKind):
        self._client, self._org, self._project_ids = client, org, project_ids
        self._max_calls, self._clock = max_checkin_calls, clock
        self._directory, self._kind = directory, kind
        self._state = _Counting()
        self._windows = glitchtip.Windows()

    def poll(self) -> MonitorsResult:
        return {"sentry": self._crons, "glitchtip": self._heartbeats}[self._kind.get().name]()

    def _heartbeats(self) -> MonitorsResult:
        now = self._clock()
        slugs = {p.id: p.slug for p in self._directory.get()}
        found = list(glitchtip.heartbeats(glitchtip.monitors(self._client, self._org, slugs)))
        window, counts = self._windows.read(now), Counter(self._state.counts)
        monitors = []
        for monitor in found:
            for status in GLITCHTIP_STATUSES:  # from 0, so the first increase shows
                counts[(monitor.project, monitor.name, glitchtip.ENVIRONMENT, status)] += 0
            for check in glitchtip.checks(self._client, self._org, monitor, *window) if window else ():
                counts[(monitor.project, monitor.name, glitchtip.ENVIRONMENT, "ok" if check.up else "missed")] += 1
            status = "active" if monitor.is_up is None else "ok" if monitor.is_up else "error"
            environment = MonitorEnvironment(glitchtip.ENVIRONMENT, status, False, monitor.last_up, None, None)
            monitors.append(Monitor(monitor.id, monitor.project, monitor.name, "", (environment,)))
        listed = {(m.project, m.slug) for m in monitors}
        self._state.counts = Counter({k: v for k, v in counts.items() if k[:2] in listed})  # deleted: gone
        self._windows.done(now)
        return MonitorsResult(tuple(monitors), dict(self._state.counts), {}, 0)

    def _crons(self) -> MonitorsResult:
        now = self._clock()
        listed = self._list()
        state = self._state
        changed = [(m, fp) for m, fp in listed if state.fingerprints.get(m.key) != fp and m.environments]
        for monitor, fingerprint in changed[: self._max_calls]:
            self._count(monitor, now)
            state.fingerprints[monitor.key] = fingerprint
        deferred = max(len(changed) - self._max_calls, 0)
        monitors = tuple(m for m, _ in listed)
        self._forget_gone({m.key for m in monitors})
        state.previous_run = now
        checkins = dict(state.counts)
        for monitor in monitors:  # every status of every environment from 0, so the first increase shows
            for env in monitor.environments:
                for status in CHECKIN_STATUSES:
                    checkins.setdefault((monitor.project, monitor.slug, env.name, status), 0)
        return MonitorsResult(monitors, checkins, dict(state.durations), deferred)

    def _list(self) -> list[tuple[Monitor, tuple]]:
        listed = []
        params = [("per_page", str(PAGE))] + [("project", i) for i in self._project_ids()]
        try:
            items = self._client.listing("monitors", f"organizations/{self._org}/monitors/", params).items
        except SentryError as e:  # a Sentry from before Crons
            raise unsupported_endpoint(e)
        for item in items:
            monitor = self._monitor(item)
            if monitor is None:
                self._client.stats.count_malformed("monitors")
                continue
            listed.append((monitor, tuple((e.name, e.status, e.last_checkin, e.next_checkin)
                                          for e in monitor.environments)))
        if items and not listed:  # a poll that learned nothing is not a success (GlitchTip's own monitors)
            raise MalformedResponse("monitors", f"none of the {len(items)} monitors listed is a cron monitor")
        return listed

    @staticmethod
    def _monitor(item: Any) -> Monitor | None:
        if not isinstance(item, dict):
            return None
        monitor_id, slug, project = label(str(item.get("id") or "")), label(item.get("slug")), item.get("project")
        project = label(project.get("slug")) if isinstance(project, dict) else ""
        envs = item.get("environments")
        if not monitor_id or not slug or not project or not isinstance(envs, list):
            return None
        owner = item.get("owner")
        team = label(owner.get("name")) if isinstance(owner, dict) and owner.get("type") == "team" else ""
        environments = []
        for env in envs:
            name = label(env.get("name")) if isinstance(env, dict) else ""
            if not name:
                return None
            status = env.get("status") if env.get("status") in ENVIRONMENT_STATUSES else "active"
            environments.append(MonitorEnvironment(name, status, env.get("isMuted") is True,
                                                   parse_time(env.get("lastCheckIn")),
                                                   parse_time(env.get("nextCheckIn")),
                                                   parse_time(env.get("nextCheckInLatest"))))
        return Monitor(monitor_id, project, slug, team, tuple(environments))

    def _count(self, monitor: Monitor, now: float) -> None:
        """Counts the monitor's new check-ins. The first run counts none; a monitor first read later
        counts those made since the previous run."""
        state = self._state
        baseline = state.previous_run is None
        path = f"organizations/{self._org}/monitors/{monitor.id}/checkins/"
        params = [("per_page", str(PAGE))]
        since = state.read_at.get(monitor.key, state.previous_run)
        if since is None:  # the first run: only the ids of the newest check-ins, to know them later
            body = self._client.listing("checkins", path, params, cap=BASELINE).items
        else:
            since = min(since, state.open_since.get(monitor.key, since)) - OVERLAP
            body = self._client.listing("checkins", path, params + [
                ("start", iso_time(since)), ("end", iso_time(now + OVERLAP))]).items
        known = state.seen.get(monitor.key)
        new_monitor = known is None
        seen: dict[str, set[str]] = {}
        newest_finished: dict[str, float] = {}
        open_since: list[float] = []
        for checkin in body:  # newest first
            fields = _checkin(checkin)
            if fields is None:
                self._client.stats.count_malformed("checkins")
                continue
            checkin_id, environment, status, created, duration_ms = fields
            if status == "in_progress" and created is not None:
                open_since.append(created)
            statuses = seen.setdefault(checkin_id, set(known.get(checkin_id, ())) if known else set())
            counts_now = not baseline and (not new_monitor or (created or 0) >= state.previous_run)
            if status not in statuses:
                statuses.add(status)
                if counts_now:
                    state.counts[(monitor.project, monitor.slug, environment, status)] += 1
            if status != "in_progress" and duration_ms is not None and environment not in newest_finished:
                newest_finished[environment] = duration_ms / 1000
        state.seen[monitor.key] = seen  # ids older than this window never come back in a later one
        state.read_at[monitor.key] = now
        if open_since:
            state.open_since[monitor.key] = min(open_since)
        else:
            state.open_since.pop(monitor.key, None)
        for environment, seconds in newest_finished.items():
            state.durations[(monitor.project, monitor.slug, environment)] = seconds

    def _forget_gone(self, keys: set[tuple[str, str]]) -> None:
        """A deleted monitor's series go with it."""
        state = self._state
        for key in set(state.seen) - keys:
            del state.seen[key]
            for by_monitor in (state.fingerprints, state.read_at, state.open_since):
                by_monitor.pop(key, None)
        for key in [k for k in state.counts if k[:2] not in keys]:
            del state.counts[key]
        for key in [k for k in state.durations if k[:2] not in keys]:
            del state.durations[key]


def _checkin(item: Any) -> tuple[str, str, str, float | None, int | None] | None:
    if not isinstance(item, dict):
        return None
    checkin_id, status = label(item.get("id")), item.get("status")
    if not checkin_id or status not in CHECKIN_STATUSES:
        return None
    environment = label(item.get("environment"), "production")  # ensure_environment's default
    duration = item.get("duration")
    return checkin_id, environment, status, parse_time(item.get("dateCreated")), \
        None if duration is None else count(duration)

