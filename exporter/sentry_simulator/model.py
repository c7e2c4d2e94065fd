"""The fake organization: projects, issues with their events, outcomes, releases and sessions.

Events are stored as batches ``(ts, environment, n, users, tags)``: ``n`` events at time ``ts`` that
share one tag set. ``tags`` is an interned tuple of sorted ``(key, value)`` pairs, so batches hold only
immutable atoms and the garbage collector stops tracking them (a 50k-issue org would otherwise make
every full collection walk a million objects). Users follow a "prefix" model: a batch with ``users=k`` came from users
``user-0 … user-(k-1)`` of its project, so the number of distinct users over any set of batches is
the largest ``users`` among them. That keeps distinct counts exact without storing user ids.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .monitoring import CHECKIN_STATUSES, UPTIME_CHECK_STATUSES, CheckIn, Deploy, Monitor, UptimeMonitor, new_guid
from .timeutil import DAY, HOUR

LEVELS = ("fatal", "error", "warning", "info", "debug")
STATUSES = ("unresolved", "resolved", "ignored")
SUBSTATUSES = {
    "unresolved": ("ongoing", "new", "regressed", "escalating"),
    "ignored": ("archived_until_escalating", "archived_until_condition_met", "archived_forever"),
    "resolved": (None,),
}
PRIORITIES = ("high", "medium", "low")
OUTCOMES = ("accepted", "filtered", "rate_limited", "invalid", "abuse", "client_discard", "cardinality_limited")
CATEGORIES = (
    "error", "default", "security", "transaction", "attachment", "replay", "profile", "profile_duration",
    "profile_duration_ui", "profile_chunk", "profile_chunk_ui", "monitor", "span", "log_item", "log_byte", "session",
)
# stats_v2 reports these three as "error" (DataCategory.error_categories()).
ERROR_CATEGORIES = frozenset({"error", "default", "security"})
SESSION_STATUSES = ("healthy", "errored", "crashed", "abnormal")


def api_category(category: str) -> str:
    return "error" if category in ERROR_CATEGORIES else category


@dataclass(frozen=True)
class Assignee:
    kind: str  # "team" | "user"
    id: str
    name: str  # team slug ("team-a") or user display name
    email: str | None = None

    def as_json(self) -> dict:
        data = {"type": self.kind, "id": self.id, "name": self.name}
        if self.email:
            data["email"] = self.email
        return data


def default_assignee_label(assignee: Assignee | None) -> str:
    return assignee.name if assignee else "unassigned"


@dataclass(eq=False)
class Project:
    id: str
    slug: str
    name: str
    platform: str
    date_created: float
    teams: tuple = ()
    is_bookmarked: bool = False
    issue_counter: int = 0

    @property
    def int_id(self) -> int:
        return int(self.id)


@dataclass(eq=False, slots=True)
class Issue:
    id: int
    project: Project
    short_id: str
    title: str
    culprit: str
    level: str
    status: str
    substatus: str | None
    priority: str | None
    assignee: Assignee | None
    created: float | None  # used as firstSeen until the first event arrives
    type: str = "error"
    # GroupCategory, as the serializer's issueCategory writes it: error, performance, cron, uptime, feedback…
    category: str = "error"
    platform: str = "python"
    exc_type: str = "Error"
    is_unhandled: bool = False
    # (ts, environment, n, users, tags) — see the module docstring
    batches: list = field(default_factory=list)
    times_seen: int = 0
    first_seen: float | None = None
    last_seen: float | None = None
    status_changed: float | None = None

    @property
    def metadata(self) -> dict:
        if self.type == "error":
            return {"type": self.exc_type, "value": self.title.split(": ", 1)[-1], "filename": self.culprit.split(" ")[0]}
        return {"title": self.title}


@dataclass(eq=False)
class Release:
    id: int
    version: str
    project_ids: list
    date_created: float
    date_released: float | None = None
    new_groups: int = 0
    commit_count: int = 0
    deploys: list = field(default_factory=list)  # monitoring.Deploy, oldest first


@dataclass(frozen=True)
class WindowStats:
    count: int
    users: int
    first_seen: float | None
    last_seen: float | None


def window_stats(batches: Iterable, start: float, end: float, environments=None, tag_match=None) -> WindowStats:
    count = users = 0
    first = last = None
    for ts, env, n, u, tags in batches:
        if ts < start or ts > end or (environments and env not in environments):
            continue
        if tag_match is not None and not tag_match(tags, env):
            continue
        count += n
        if u > users:
            users = u
        if first is None or ts < first:
            first = ts
        if last is None or ts > last:
            last = ts
    return WindowStats(count, users, first, last)


class Org:
    """The whole fake organization. Mutations bump ``version`` (listing caches key on it) under ``lock``."""

    def __init__(self, slug: str = "acme", name: str | None = None, org_id: str = "1",
                 environments: Iterable[str] = ("production",), created: float = 1_600_000_000.0):
        self.slug = slug
        self.name = name or slug.replace("-", " ").title()
        self.id = org_id
        self.date_created = created
        self.environments: list[str] = list(environments)
        self.projects: dict[str, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.releases: list[Release] = []
        # (project_id, category, outcome, reason) -> {minute_epoch: [quantity, times_seen]}
        self.outcomes: dict[tuple, dict[int, list]] = {}
        # (project_id, release, environment) -> {hour_epoch: {status: sessions, "users": n, "crashed_users": n, ...}}
        self.sessions: dict[tuple, dict[int, dict]] = {}
        self.monitors: dict[str, Monitor] = {}          # Crons, by slug
        self.uptime_monitors: dict[int, UptimeMonitor] = {}  # uptime detectors, by id
        # The token user's teams (None: a member of every team). A request without `project` covers only
        # the projects of these teams (CONTRACT §0.15); project=-1 covers every project.
        self.member_teams: frozenset[str] | None = None
        self.version = 0
        self.lock = threading.RLock()
        self.caches: dict = {}  # for the HTTP layer, dropped on every mutation
        self._next_issue_id = 1_000_001
        self._next_release_id = 1
        self._tag_pool: dict = {}
        self._ts_index: tuple[int, list] | None = None

    # ---------------------------------------------------------------- mutation
    def _changed(self) -> None:
        self.version += 1
        self.caches.clear()

    def add_project(self, slug: str, name: str | None = None, platform: str = "python",
                    project_id: str | None = None, created: float | None = None, teams: Iterable[str] = ()) -> Project:
        with self.lock:
            pid = project_id or str(4_505_000_000_000_001 + len(self.projects))
            project = Project(pid, slug, name or slug.replace("-", " ").title(), platform,
                              created if created is not None else self.date_created, tuple(teams))
            self.projects[pid] = project
            self._changed()
            return project

    def set_member_teams(self, teams: Iterable[str] | None) -> None:
        """Make the token user a member of these teams only (None: of every team)."""
        with self.lock:
            self.member_teams = None if teams is None else frozenset(teams)
            self._changed()

    def project(self, key) -> Project:
        """By id (str/int) or slug."""
        key = str(key)
        if key in self.projects:
            return self.projects[key]
        for project in self.projects.values():
            if project.slug == key:
                return project
        raise KeyError(key)

    def create_issue(self, project, level: str = "error", title: str | None = None, culprit: str | None = None,
                     status: str = "unresolved", substatus: str | None = "new", priority: str | None = "high",
                     assignee: Assignee | None = None, created: float | None = None, type: str = "error",
                     exc_type: str = "Error", is_unhandled: bool = False, issue_id: int | None = None,
                     category: str = "error") -> Issue:
        with self.lock:
            proj = project if isinstance(project, Project) else self.project(project)
            proj.issue_counter += 1
            iid = issue_id or self._next_issue_id
            self._next_issue_id = max(self._next_issue_id, iid) + 1
            short_id = f"{proj.slug.upper()}-{in_base(proj.issue_counter)}"
            issue = Issue(iid, proj, short_id, title or f"{exc_type}: failure {proj.issue_counter}",
                          culprit or f"app/{proj.slug}.py in handler", level, status,
                          substatus if status != "resolved" else None, priority, assignee,
                          created, type=type, category=category, platform=proj.platform,
                          exc_type=exc_type, is_unhandled=is_unhandled)
            self.issues[iid] = issue
            self._changed()
            return issue

    def intern_tags(self, tags: dict | None) -> tuple:
        """Batches share equal tag tuples, which keeps a 50k-issue org small."""
        if not tags:
            return ()
        key = tuple(sorted((str(k), str(v)) for k, v in tags.items()))
        return self._tag_pool.setdefault(key, key)

    def record_events(self, issue_id: int, n: int = 1, at: float = 0.0, environment: str | None = None,
                      users: int = 1, tags: dict | None = None) -> None:
        """``n`` events of one issue at ``at`` from ``users`` distinct users (prefix model), all with ``tags``."""
        if n <= 0:
            return
        with self.lock:
            issue = self.issues[int(issue_id)]
            env = environment or (self.environments[0] if self.environments else "production")
            if env not in self.environments:
                self.environments.append(env)
            issue.batches.append((float(at), env, int(n), max(0, min(int(users), int(n))), self.intern_tags(tags)))
            issue.times_seen += n
            if issue.first_seen is None or at < issue.first_seen:
                issue.first_seen = float(at)
            if issue.last_seen is None or at > issue.last_seen:
                issue.last_seen = float(at)
            self._changed()

    def set_status(self, issue_id: int, status: str, substatus: str | None = None, at: float | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.lock:
            issue = self.issues[int(issue_id)]
            issue.status = status
            if status == "resolved":
                issue.substatus = None
            elif substatus is not None:
                issue.substatus = substatus
            else:
                issue.substatus = "ongoing" if status == "unresolved" else "archived_forever"
            issue.status_changed = at
            self._changed()

    def delete_issue(self, issue_id: int) -> None:
        """A deleted issue is absent from every answer, ``group=`` lookups included."""
        with self.lock:
            del self.issues[int(issue_id)]
            self._changed()

    def merge_issues(self, into_id: int, source_id: int) -> None:
        """Merging moves the source's events into ``into_id``; the source is then absent, like a deleted one."""
        with self.lock:
            into, source = self.issues[int(into_id)], self.issues.pop(int(source_id))
            into.batches.extend(source.batches)
            into.times_seen += source.times_seen
            seen = [t for t in (into.first_seen, source.first_seen) if t is not None]
            into.first_seen = min(seen, default=None)
            seen = [t for t in (into.last_seen, source.last_seen) if t is not None]
            into.last_seen = max(seen, default=None)
            self._changed()

    def set_priority(self, issue_id: int, priority: str | None) -> None:
        with self.lock:
            self.issues[int(issue_id)].priority = priority
            self._changed()

    def assign(self, issue_id: int, assignee: Assignee | None) -> None:
        with self.lock:
            self.issues[int(issue_id)].assignee = assignee
            self._changed()

    def record_outcome(self, project_id, category: str, outcome: str, quantity: int = 1, at: float = 0.0,
                       reason: str | None = None, times_seen: int = 1) -> None:
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}")
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        with self.lock:
            pid = self.project(project_id).id
            buckets = self.outcomes.setdefault((pid, category, outcome, reason), {})
            cell = buckets.setdefault(int(at // 60) * 60, [0, 0])
            cell[0] += int(quantity)
            cell[1] += int(times_seen)
            self._changed()

    def create_release(self, version: str, projects: Iterable, created: float = 0.0,
                       released: float | None = None, new_groups: int = 0, commit_count: int = 0) -> Release:
        with self.lock:
            ids = [self.project(p if not isinstance(p, Project) else p.id).int_id for p in projects]
            release = Release(self._next_release_id, version, ids, float(created), released, new_groups, commit_count)
            self._next_release_id += 1
            self.releases.append(release)
            self._changed()
            return release

    def record_sessions(self, project_id, release: str, environment: str, at: float, healthy: int = 0,
                        errored: int = 0, crashed: int = 0, abnormal: int = 0, users: int = 0,
                        crashed_users: int = 0, errored_users: int = 0) -> None:
        """Session counts for one hour (``at`` is floored to the hour). Users follow the prefix model per project."""
        with self.lock:
            pid = self.project(project_id).id
            if environment not in self.environments:
                self.environments.append(environment)
            cell = self.sessions.setdefault((pid, release, environment), {}).setdefault(
                int(at // HOUR) * HOUR,
                {"healthy": 0, "errored": 0, "crashed": 0, "abnormal": 0, "users": 0, "crashed_users": 0,
                 "errored_users": 0})
            for key, value in (("healthy", healthy), ("errored", errored), ("crashed", crashed), ("abnormal", abnormal)):
                cell[key] += int(value)
            cell["users"] = max(cell["users"], int(users))
            cell["crashed_users"] = max(cell["crashed_users"], int(crashed_users))
            cell["errored_users"] = max(cell["errored_users"], int(errored_users))
            self._changed()

    def add_monitor(self, slug: str, project, interval_minutes: int = 5, name: str | None = None,
                    owner: Assignee | None = None, created: float | None = None, **config) -> Monitor:
        """A cron monitor; ``config`` takes checkin_margin, max_runtime, failure_issue_threshold,
        recovery_threshold, disabled."""
        with self.lock:
            proj = project if isinstance(project, Project) else self.project(project)
            # Slugs are unique per project (Monitor.Meta.unique_together), not per org: a slug that
            # another project already uses is kept here as "project/slug".
            key = slug if slug not in self.monitors else f"{proj.slug}/{slug}"
            monitor = Monitor(new_guid(f"monitor:{self.slug}:{key}"), len(self.monitors) + 1, slug,
                              name or slug.replace("-", " ").title(), proj, owner, interval_minutes,
                              self.date_created if created is None else float(created), **config)
            self.monitors[key] = monitor
            self._changed()
            return monitor

    def record_checkin(self, slug: str, status: str, at: float, environment: str = "production",
                       duration_ms: int | None = None, expected: float | None = None) -> CheckIn:
        """One check-in of the monitor keyed ``slug`` in ``monitors`` (its slug, or "project/slug" for a
        slug another project took first); ``missed`` ones are the clock task's, dated at the slot they missed."""
        if status not in CHECKIN_STATUSES:
            raise ValueError(f"unknown check-in status {status!r}")
        with self.lock:
            monitor = self.monitors[slug]
            env = monitor.environments.get(environment)
            expected = expected if expected is not None else (env.next_checkin if env and env.next_checkin else at)
            checkin = CheckIn(new_guid(f"checkin:{slug}:{environment}:{len(monitor.checkins)}"), environment, status,
                              float(at), float(expected), duration_ms, float(at),
                              float(at) if status == "in_progress" else None)
            if environment not in self.environments:
                self.environments.append(environment)
            monitor.record(checkin)
            self._changed()
            return checkin

    def finish_checkin(self, slug: str, checkin: CheckIn, status: str, at: float,
                       duration_ms: int | None = None) -> None:
        with self.lock:
            self.monitors[slug].finish(checkin, status, float(at), duration_ms)
            self._changed()

    def mute_monitor(self, slug: str, environment: str, muted: bool = True) -> None:
        with self.lock:
            self.monitors[slug].environments[environment].is_muted = muted
            self._changed()

    def add_uptime_monitor(self, name: str, project, url: str, environment: str = "production",
                           owner: Assignee | None = None, created: float | None = None, **config) -> UptimeMonitor:
        """An uptime detector; ``config`` takes interval_seconds, timeout_ms, method, downtime_threshold,
        recovery_threshold, enabled."""
        with self.lock:
            proj = project if isinstance(project, Project) else self.project(project)
            number = len(self.uptime_monitors) + 1
            monitor = UptimeMonitor(234_567_000 + number, name, proj, owner, url, environment,
                                    self.date_created if created is None else float(created),
                                    new_guid(f"uptime-subscription:{self.slug}:{number}"), 267_400 + number, **config)
            self.uptime_monitors[monitor.id] = monitor
            if environment not in self.environments:
                self.environments.append(environment)
            self._changed()
            return monitor

    def record_uptime_check(self, monitor_id: int, status: str, at: float, duration_us: int = 120_000,
                            http_status: int | None = 200, region: str = "us-east-1"):
        if status not in UPTIME_CHECK_STATUSES:
            raise ValueError(f"unknown uptime check status {status!r}")
        with self.lock:
            check = self.uptime_monitors[int(monitor_id)].record(float(at), status, duration_us, http_status, region)
            self._changed()
            return check

    def create_deploy(self, version: str, environment: str, finished: float, started: float | None = None,
                      name: str | None = None, url: str | None = None) -> Deploy:
        with self.lock:
            release = next(r for r in self.releases if r.version == version)
            deploy = Deploy(str(sum(len(r.deploys) for r in self.releases) + 1), environment, float(finished),
                            started, name, url)
            release.deploys.append(deploy)
            if environment not in self.environments:
                self.environments.append(environment)
            self._changed()
            return deploy

    def compact(self, before: float, bucket: int = HOUR) -> int:
        """Merge each issue's batches older than ``before`` per (bucket, environment, tags), keeping counts,
        distinct users and tag values exact; only their times move to the bucket's last event. The earliest
        batch stays so firstSeen is kept. Keeps a long-running demo small. Returns batches removed."""
        removed = 0
        with self.lock:
            for issue in self.issues.values():
                if len(issue.batches) < 3:
                    continue
                earliest = min(issue.batches, key=lambda b: b[0])
                rest = [b for b in issue.batches if b is not earliest]
                old = [b for b in rest if b[0] < before]
                if len(old) < 2:
                    continue
                merged: dict = {}
                for ts, env, n, users, tags in old:
                    key = (int(ts // bucket), env, tags)
                    prev = merged.get(key)
                    merged[key] = (ts, env, n, users, tags) if prev is None else (
                        max(prev[0], ts), env, prev[2] + n, max(prev[3], users), tags)
                issue.batches = [earliest, *merged.values(), *(b for b in rest if b[0] >= before)]
                removed += len(old) - len(merged)
            if removed:
                self._changed()
        return removed

    # ------------------------------------------------------------- read helpers
    def timestamp_index(self) -> list:
        """Every batch time, sorted; lets the listing cache tell when a moved
        window still covers exactly the same events."""
        with self.lock:
            if self._ts_index is None or self._ts_index[0] != self.version:
                stamps = [ts for issue in self.issues.values() for ts, *_ in issue.batches]
                stamps.sort()
                self._ts_index = (self.version, stamps)
            return self._ts_index[1]

    def issue_by_short_id(self, short_id: str) -> Issue | None:
        index = self.caches.get("short_ids")
        if index is None:
            index = self.caches["short_ids"] = {i.short_id: i for i in self.issues.values()}
        return index.get(short_id.upper())

    # ------------------------------------------------------ truth for the tests
    def truth_unresolved(self, period_seconds: float, now: float, environment=None,
                         assignee_label: Callable[[Assignee | None], str] = default_assignee_label) -> Counter:
        """Unresolved issues with events in [now - period, now] (in ``environment``, a name or names),
        counted by (project_slug, level, substatus, priority, assignee)."""
        envs = _env_set(environment)
        with self.lock:
            result: Counter = Counter()
            for issue in self.issues.values():
                if issue.status != "unresolved":
                    continue
                if window_stats(issue.batches, now - period_seconds, now, envs).count:
                    result[(issue.project.slug, issue.level, issue.substatus, issue.priority,
                            assignee_label(issue.assignee))] += 1
            return result

    def truth_issue_window(self, issue_id: int, start: float, end: float, environment=None) -> WindowStats:
        with self.lock:
            return window_stats(self.issues[int(issue_id)].batches, start, end, _env_set(environment))

    def truth_top_issues(self, period_seconds: float, now: float, n: int = 10, environment=None,
                         status: str | None = "unresolved") -> list[Issue]:
        """Issues with the most events in the window, most first (ties: newer lastSeen first)."""
        envs = _env_set(environment)
        with self.lock:
            scored = []
            for issue in self.issues.values():
                if status and issue.status != status:
                    continue
                stats = window_stats(issue.batches, now - period_seconds, now, envs)
                if stats.count:
                    scored.append((stats.count, stats.last_seen, issue.id, issue))
            scored.sort(key=lambda row: (row[0], row[1], row[2]), reverse=True)
            return [row[3] for row in scored[:n]]

    def truth_new_24h(self, now: float, status: str | None = "unresolved") -> Counter:
        """Issues whose lifetime firstSeen is within 24h, by project slug."""
        with self.lock:
            return Counter(i.project.slug for i in self.issues.values()
                           if (status is None or i.status == status)
                           and i.first_seen is not None and now - DAY <= i.first_seen <= now)

    def truth_tag_values(self, issue_id: int, tag: str, now: float, period_seconds: float = DAY,
                         environment=None, where: dict | None = None) -> int:
        """Distinct values of ``tag`` on the issue's events in [now - period, now]; ``where``: only events
        with these tag values (None: without the tag)."""
        envs = _env_set(environment)
        with self.lock:
            values = {tag_get(tags, tag) for ts, env, n, u, tags in self.issues[int(issue_id)].batches
                      if now - period_seconds <= ts <= now and (not envs or env in envs)
                      and all(tag_get(tags, k) == v for k, v in (where or {}).items())}
            values.discard(None)
            return len(values)

    def truth_outcomes(self, start: float, end: float, project_ids=None) -> Counter:
        """Quantity by (project_slug, api category, outcome) for outcomes in [start, end)."""
        wanted = None if project_ids is None else {str(p) for p in project_ids}
        with self.lock:
            result: Counter = Counter()
            for (pid, category, outcome, _reason), buckets in self.outcomes.items():
                if wanted is not None and pid not in wanted:
                    continue
                total = sum(cell[0] for minute, cell in buckets.items() if start <= minute < end)
                if total:
                    result[(self.projects[pid].slug, api_category(category), outcome)] += total
            return result

    def truth_sessions(self, start: float, end: float, project=None, release: str | None = None,
                       environment: str | None = None) -> dict:
        """Totals and crash-free fractions over hours in [start, end): sessions, crashed, users, ratios."""
        pid = self.project(project).id if project is not None else None
        with self.lock:
            sessions = crashed = users = crashed_users = 0
            for (p, rel, env), hours in self.sessions.items():
                if (pid and p != pid) or (release and rel != release) or (environment and env != environment):
                    continue
                for hour, cell in hours.items():
                    if start <= hour < end:
                        sessions += cell["healthy"] + cell["errored"] + cell["crashed"] + cell["abnormal"]
                        crashed += cell["crashed"]
                        users = max(users, cell["users"])
                        crashed_users = max(crashed_users, cell["crashed_users"])
            return {
                "sessions": sessions, "crashed": crashed, "users": users, "crashed_users": crashed_users,
                "crash_free_sessions": (1 - crashed / sessions) if sessions else None,
                "crash_free_users": (1 - crashed_users / users) if users else None,
            }


def tag_get(tags: tuple, name: str):
    """The value of tag ``name`` in a batch's tag tuple, or None."""
    for key, value in tags:
        if key == name:
            return value
    return None


def _env_set(environment) -> frozenset | None:
    if environment is None:
        return None
    if isinstance(environment, str):
        return frozenset((environment,))
    return frozenset(environment) or None


def in_base(number: int, base: int = 36) -> str:
    """Digits then upper-case letters: Sentry's short ids are base 36, GlitchTip's base 32."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while True:
        number, rest = divmod(number, base)
        text = digits[rest] + text
        if not number:
            return text
