"""Deterministic synthetic organizations (``build_org``)."""

from __future__ import annotations

import random
import time

from .model import Assignee, Org
from .timeutil import DAY, HOUR

PROJECT_NAMES = (("web-frontend", "javascript"), ("api-backend", "python"), ("connectors", "python"),
                 ("billing", "go"), ("mobile-app", "react-native"))
TEAMS = ("team-a", "team-b", "team-c", "team-d")
USERS = (("Alice Martin", "alice@example.com"), ("Bob Chen", "bob@example.com"),
         ("Carla Diaz", "carla@example.com"), ("Dan Okafor", "dan@example.com"))
EXCEPTIONS = ("ValueError", "KeyError", "TimeoutError", "ConnectionError", "TypeError", "PermissionError",
              "IntegrityError", "RuntimeError")
MESSAGES = ("could not parse payload", "upstream timed out", "missing field 'id'", "connection reset by peer",
            "unexpected None", "quota exceeded for workspace", "duplicate key value", "schema mismatch",
            "token refresh failed", "rate limited by destination")
RELEASE_STAGES = (("GA", 6), ("Beta", 3), ("Alpha", 1))
FAILURE_ORIGINS = ("source", "destination", "platform", "unknown")
LEVEL_WEIGHTS = (("error", 55), ("warning", 20), ("fatal", 5), ("info", 12), ("debug", 8))
PRIORITY_BY_LEVEL = {
    "fatal": (("high", 8), ("medium", 2)), "error": (("high", 4), ("medium", 4), ("low", 2)),
    "warning": (("medium", 5), ("low", 5)), "info": (("low", 8), ("medium", 2)), "debug": (("low", 1),),
}
WORKSPACES = 40
TENANTS = 15


def team(name: str) -> Assignee:
    return Assignee("team", str(TEAMS.index(name) + 1) if name in TEAMS else name, name)


def user(index: int) -> Assignee:
    name, email = USERS[index]
    return Assignee("user", str(index + 1), name, email)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def build_org(slug: str = "acme", projects: int = 5, unresolved: int = 1000, resolved: int = 50,
              environments=("production", "staging"), seed: int = 1, now: float | None = None,
              ignored: int | None = None, outcome_hours: int = 48) -> Org:
    """An org whose contents depend only on the arguments. ``now`` defaults to the current time.

    Unresolved issues are last seen within 13 days (so a 14d window lists them all), about a third
    within 24 h; a handful are first seen within 24 h, one is regressed and one escalating.
    """
    now = time.time() if now is None else float(now)
    rng = random.Random(seed)
    org = Org(slug=slug, environments=environments, created=now - 400 * DAY)
    for index in range(projects):
        name, platform = PROJECT_NAMES[index] if index < len(PROJECT_NAMES) else (f"project-{index + 1}", "python")
        org.add_project(name, platform=platform, created=now - 380 * DAY, teams=(TEAMS[index % len(TEAMS)],))
    project_list = list(org.projects.values())
    if not project_list:
        return org
    releases = _releases(org, project_list, now)
    project_weights = [len(project_list) - i + 2 for i in range(len(project_list))]
    ignored = resolved // 2 if ignored is None else ignored
    generator = _IssueGenerator(org, rng, now, environments, project_list, project_weights, releases)
    for _ in range(unresolved):
        generator.issue("unresolved")
    for _ in range(resolved):
        generator.issue("resolved")
    for _ in range(ignored):
        generator.issue("ignored")
    generator.specials(unresolved)
    _sessions(org, rng, now, releases, environments)
    _outcomes(org, rng, now, project_list, outcome_hours)
    return org


class _IssueGenerator:
    def __init__(self, org, rng, now, environments, projects, project_weights, releases):
        self.org, self.rng, self.now = org, rng, now
        self.environments = list(environments) or ["production"]
        self.env_weights = [7] + [3] * (len(self.environments) - 1)
        self.projects, self.project_weights, self.releases = projects, project_weights, releases

    def _assignee(self):
        roll = self.rng.random()
        if roll < 0.4:
            return None
        if roll < 0.75:
            return team(self.rng.choice(TEAMS))
        return user(self.rng.randrange(len(USERS)))

    def issue(self, status: str, first: float | None = None, last: float | None = None, total: int | None = None):
        rng, now = self.rng, self.now
        project = rng.choices(self.projects, self.project_weights)[0]
        level = _weighted(rng, LEVEL_WEIGHTS)
        if status == "unresolved":
            last = now - (rng.random() * DAY if rng.random() < 0.35 else DAY + rng.random() * 12 * DAY)
            substatus = None
        elif status == "resolved":
            last = now - 3 * DAY - rng.random() * 57 * DAY
            substatus = None
        else:
            last = now - rng.random() * 13 * DAY
            substatus = rng.choice(("archived_until_escalating", "archived_until_condition_met", "archived_forever"))
        if first is None:
            first = max(last - rng.random() * 80 * DAY, now - 89 * DAY)
        else:
            last = max(first, min(last or first, now))
        if status == "unresolved":
            substatus = "new" if now - first < 7 * DAY else "ongoing"
        exc = rng.choice(EXCEPTIONS)
        issue = self.org.create_issue(
            project, level=level, title=f"{exc}: {rng.choice(MESSAGES)}",
            culprit=f"{project.slug}/{rng.choice(('sync', 'api', 'jobs', 'models'))}.py in {rng.choice(('run', 'handle', 'fetch', 'save'))}",
            status=status, substatus=substatus, priority=_weighted(rng, PRIORITY_BY_LEVEL[level]),
            assignee=self._assignee(), created=first, exc_type=exc, is_unhandled=rng.random() < 0.3)
        if total is None:
            total = min(int(rng.paretovariate(1.1) * 3), 50_000)
        self.events(issue, first, last, total)
        return issue

    def events(self, issue, first: float, last: float, total: int) -> None:
        """Split ``total`` events over 1-3 batches between ``first`` and ``last`` (both included)."""
        rng = self.rng
        stage = _weighted(rng, RELEASE_STAGES)
        origin = rng.choice(FAILURE_ORIGINS)
        releases = self.releases[issue.project.id]
        moments = [first] if first >= last - 1 else [first, last]
        if total >= 3 and len(moments) == 2 and rng.random() < 0.5:
            moments.insert(1, first + (last - first) * rng.random())
        total = max(total, len(moments))
        share = total // len(moments)
        for index, at in enumerate(moments):
            n = share if index < len(moments) - 1 else total - share * (len(moments) - 1)
            tags = {"workspace_id": f"ws-{rng.randrange(WORKSPACES)}", "tenant_id": f"tenant-{rng.randrange(TENANTS)}",
                    "release_stage": stage, "failure_origin": origin, "release": rng.choice(releases)}
            env = rng.choices(self.environments, self.env_weights)[0]
            self.org.record_events(issue.id, n, at=at, environment=env, users=max(1, min(n, int(n * rng.random()) + 1)),
                                   tags=tags)

    def specials(self, unresolved: int) -> None:
        """A regressed issue, an escalating one and a few brand-new ones, so lifecycle panels have data."""
        if unresolved <= 0:
            return
        now = self.now
        regressed = self.issue("unresolved")
        self.org.set_status(regressed.id, "unresolved", substatus="regressed")
        self.events(regressed, now - 2 * HOUR, now - 10 * 60, 40)
        escalating = self.issue("unresolved")
        self.org.set_status(escalating.id, "unresolved", substatus="escalating")
        self.org.set_priority(escalating.id, "high")
        for hour in range(3):
            self.events(escalating, now - (hour + 1) * HOUR + 60, now - hour * HOUR - 60, 400 * (3 - hour))
        for _ in range(min(5, unresolved)):
            created = now - self.rng.random() * 20 * HOUR
            self.issue("unresolved", first=created, last=created + self.rng.random() * 3 * HOUR,
                       total=5 + self.rng.randrange(50))


def _releases(org: Org, projects, now: float) -> dict:
    versions = {}
    for project in projects:
        names = []
        for k in range(3):
            created = now - (3 - k) * 6 * DAY + HOUR * (project.int_id % 7)
            version = f"{project.slug}@1.{k}.0"
            org.create_release(version, [project], created=created, released=created + HOUR, new_groups=k * 2,
                               commit_count=3 + k)
            names.append(version)
        versions[project.id] = names
    return versions


def _sessions(org: Org, rng: random.Random, now: float, releases: dict, environments) -> None:
    """48 h of hourly sessions for the two newest releases of each project."""
    first_hour = int(now // HOUR) * HOUR - 47 * HOUR
    for pid, versions in releases.items():
        for version in versions[-2:]:
            for env in environments:
                for hour in range(48):
                    total = rng.randrange(100, 400)
                    crashed = rng.randrange(0, 3)
                    errored = rng.randrange(0, 6)
                    org.record_sessions(pid, version, env, first_hour + hour * HOUR, healthy=total - crashed - errored,
                                        errored=errored, crashed=crashed, users=total // 3,
                                        crashed_users=min(crashed, total // 3), errored_users=errored)


def _outcomes(org: Org, rng: random.Random, now: float, projects, hours: int) -> None:
    """Hourly outcomes per project: accepted errors/transactions/attachments and a few drops."""
    first_hour = int(now // HOUR) * HOUR - (hours - 1) * HOUR
    for project in projects:
        for hour in range(hours):
            at = first_hour + hour * HOUR
            if at > now:
                break
            org.record_outcome(project.id, "error", "accepted", rng.randrange(50, 500), at=at)
            org.record_outcome(project.id, "default", "accepted", rng.randrange(0, 20), at=at)
            org.record_outcome(project.id, "transaction", "accepted", rng.randrange(500, 3000), at=at)
            org.record_outcome(project.id, "attachment", "accepted", rng.randrange(0, 50_000), at=at)
            org.record_outcome(project.id, "error", "filtered", rng.randrange(0, 30), at=at, reason="browser-extensions")
            org.record_outcome(project.id, "error", "client_discard", rng.randrange(0, 10), at=at,
                               reason="sample_rate")
            if rng.random() < 0.1:
                org.record_outcome(project.id, "error", "rate_limited", rng.randrange(10, 200), at=at,
                                   reason="key_quota")
