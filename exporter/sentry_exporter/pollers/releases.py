"""Release health: crash-free sessions and users of the latest releases of every project, and when
each of them was created and deployed to each environment.

The newest SENTRY_RELEASES_PER_PROJECT releases of every project: first the org's newest SCAN releases
(one call), then, for each project still short of them when the org has more, that project's own list
(the org's newest releases can all be one project's: a project releasing from CI would hide the
others). So a run costs one call when the org's newest SCAN releases cover every project, and one more
per project left short otherwise. Then sessions queries for them grouped by project, release
and environment. Sessions answers only its top groups, at most 10,000 data points a page, and is
paginated (CONTRACT §0.8, `src/sentry/api/endpoints/organization_sessions.py`): every page is read,
so every group is answered. The versions go into `release:[…]` in batches of bounded length, so no
request line outgrows a proxy's limit (414). Deploys cost a call only for a release whose `lastDeploy`
(in the releases list) changed since the previous run and that has more than one deploy, at most
SENTRY_DEPLOYS_MAX_CALLS a run; the rest wait for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..directory import ProjectDirectory
from ..parsing import count, label, number
from ..sentry.client import SentryClient
from ..sentry.errors import MalformedResponse
from ..sentry.flavor import ServerKind
from ..parsing import parse_time


@dataclass(frozen=True)
class ReleaseHealth:
    project: str
    release: str
    environment: str
    sessions: int
    crash_free_sessions: float | None
    crash_free_users: float | None


@dataclass(frozen=True)
class ReleasesResult:
    latest: dict[str, tuple[str, ...]]      # project -> its newest releases, newest first
    health: tuple[ReleaseHealth, ...]
    created: dict[str, float] = field(default_factory=dict)             # release -> dateCreated
    deployed: dict[tuple[str, str], float] = field(default_factory=dict)  # (release, environment) -> newest finish


FIELDS = ("sum(session)", "crash_free_rate(session)", "crash_free_rate(user)")
SCAN = 100                 # the org's newest releases read first: one page
SESSIONS_PER_PAGE = "100"  # 100 groups x 25 hours: well inside the 10,000 data points of a page
MAX_QUERY_BYTES = 2000     # of one release:[…] list, URL-encoded; nginx's default request line limit is 8 kB


class ReleasesPoller:
    name = "releases"

    def __init__(self, client: SentryClient, org: str, directory: ProjectDirectory, per_project: int,
                 filter_projects: bool, kind: ServerKind, deploy_calls: int = 0):
        self._client, self._org, self._directory, self._kind = client, org, directory, kind
        self._per_project, self._filter, self._deploy_calls = per_project, filter_projects, deploy_calls
        self._deploys: dict[str, tuple[str, dict[str, float]]] = {}  # release -> (lastDeploy id, env -> finish)

    def poll(self) -> ReleasesResult:
        projects = self._directory.get()
        ids = [p.id for p in projects] if self._filter else []  # none: every project
        slugs = {p.id: p.slug for p in projects}
        latest: dict[str, list[str]] = {p.slug: [] for p in projects}
        listed: dict[str, dict] = {}
        scan = self._client.listing("releases", f"organizations/{self._org}/releases/",
                                    [("per_page", str(SCAN))] + self._kind.get().all_projects(ids), cap=SCAN)
        self._take(scan.items, latest, listed)
        if scan.cut:
            for project in projects:
                if len(latest[project.slug]) < self._per_project:
                    self._take(self._releases(project.id, project.slug), latest, listed)
        latest = {slug: versions for slug, versions in latest.items() if versions}
        versions = sorted({v for vs in latest.values() for v in vs})
        # GlitchTip has no sessions: its releases come without health (flavor.py)
        health = self._health(ids, versions, slugs) if versions and self._kind.get().sessions else ()
        created = {v: t for v in versions if (t := parse_time(listed[v].get("dateCreated"))) is not None}
        return ReleasesResult({k: tuple(v) for k, v in latest.items()}, health, created, self._deployed(listed))

    def _releases(self, project_id: str, slug: str) -> list:
        """The newest releases of one project, newest first."""
        path, params = self._kind.get().releases_of(self._org, project_id, slug)
        return self._client.listing("releases", path, [("per_page", str(self._per_project))] + params,
                                    cap=self._per_project).items

    def _take(self, releases: list, latest: dict[str, list[str]], listed: dict[str, dict]) -> None:
        """Each release (newest first) into the newest of each of its projects that still wants one."""
        for release in releases:
            version = label(release.get("version")) if isinstance(release, dict) else ""
            projects = release.get("projects") if isinstance(release, dict) else None
            if not version or not isinstance(projects, list):
                self._client.stats.count_malformed("releases")
                continue
            for project in projects:
                slug = project.get("slug") if isinstance(project, dict) else None
                versions = latest.get(slug)
                if versions is not None and len(versions) < self._per_project and version not in versions:
                    versions.append(version)
                    listed.setdefault(version, release)

    def _deployed(self, listed: dict[str, dict]) -> dict[tuple[str, str], float]:
        """(release, environment) -> when its newest deploy there finished, for the listed releases."""
        calls = 0
        for version, release in listed.items():
            last = _deploy(release.get("lastDeploy"))
            if last is None or self._deploys.get(version, ("",))[0] == last[0]:
                continue  # never deployed, or nothing new since the previous run
            if count(release.get("deployCount")) == 1:  # the one deploy is lastDeploy itself: no call
                self._deploys[version] = (last[0], {last[1]: last[2]})
            elif calls < self._deploy_calls:
                calls += 1
                self._deploys[version] = (last[0], self._deploys_of(version))
        for version in set(self._deploys) - set(listed):
            del self._deploys[version]
        return {(v, env): t for v, (_id, envs) in self._deploys.items() for env, t in envs.items()}

    def _deploys_of(self, version: str) -> dict[str, float]:
        body = self._client.listing("deploys", f"organizations/{self._org}/releases/{quote(version, safe='')}/deploys/",
                                    [("per_page", "100")]).items
        newest: dict[str, float] = {}
        for item in body:
            deploy = _deploy(item)
            if deploy is None:
                self._client.stats.count_malformed("deploys")
                continue
            _id, environment, finished = deploy
            newest[environment] = max(newest.get(environment, finished), finished)
        return newest

    def _health(self, ids: list[str], versions: list[str], slugs: dict[str, str]) -> tuple[ReleaseHealth, ...]:
        health: dict[tuple[str, str, str], ReleaseHealth] = {}
        answered = 0
        for batch in _batches([_quote(v) for v in versions]):
            params = [("field", f) for f in FIELDS] + [
                ("groupBy", "project"), ("groupBy", "release"), ("groupBy", "environment"),
                ("statsPeriod", "24h"), ("interval", "1h"), ("includeSeries", "0"), ("per_page", SESSIONS_PER_PAGE),
                ("query", f"release:[{','.join(batch)}]")] + self._kind.get().all_projects(ids)
            for groups, _ in self._client.pages("sessions", f"organizations/{self._org}/sessions/", params,
                                                key="groups"):
                answered += len(groups)
                for group in groups:
                    h = self._group(group, slugs)
                    if h is None or (h.project, h.release, h.environment) in health:
                        self._client.stats.count_malformed("sessions")  # unusable, or a repeat
                        continue
                    health[(h.project, h.release, h.environment)] = h
        if answered and not health:  # a poll that learned nothing is not a success
            raise MalformedResponse("sessions", f"none of the {answered} groups parsed")
        return tuple(health.values())

    def _group(self, group: object, slugs: dict[str, str]) -> ReleaseHealth | None:
        by = group.get("by") if isinstance(group, dict) else None
        totals = group.get("totals") if isinstance(group, dict) else None
        if not isinstance(by, dict) or not isinstance(totals, dict) or not label(by.get("release")):
            return None
        project_id = by.get("project")
        project = slugs.get(str(project_id), label(str(project_id))) if isinstance(project_id, (str, int)) else ""
        sessions = count(totals.get("sum(session)"))
        if not project or sessions is None:
            return None
        rates = [number(totals.get(f"crash_free_rate({kind})")) for kind in ("session", "user")]
        return ReleaseHealth(project, label(by["release"]), label(by.get("environment"), "none"), sessions=sessions,
                             crash_free_sessions=rates[0], crash_free_users=rates[1])


def _batches(quoted: list[str]) -> list[list[str]]:
    """The versions in runs whose URL-encoded list stays within MAX_QUERY_BYTES (one each at least)."""
    batches: list[list[str]] = [[]]
    length = 0
    for version in quoted:
        size = len(quote(version, safe="")) + 3  # and the encoded comma
        if batches[-1] and length + size > MAX_QUERY_BYTES:
            batches.append([])
            length = 0
        batches[-1].append(version)
        length += size
    return batches


def _deploy(item: Any) -> tuple[str, str, float] | None:
    """(id, environment, dateFinished) of a deploy object; None when it is not one."""
    if not isinstance(item, dict):
        return None
    deploy_id, environment = label(str(item.get("id") or "")), label(item.get("environment"))
    finished = parse_time(item.get("dateFinished"))
    if not deploy_id or not environment or finished is None:
        return None
    return deploy_id, environment, finished


def _quote(version: str) -> str:
    # Versions such as "web@1.2.0 (45)" need quotes inside a search list.
    return f'"{version}"' if any(c in version for c in ' ,[]"') else version
