"""The organization's projects, fetched at most once per refresh interval and shared by pollers."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from .parsing import label
from .sentry.client import SentryClient
from .sentry.errors import ContractError, SentryError
from .sentry.flavor import ServerKind

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Project:
    id: str
    slug: str
    platform: str
    teams: tuple[str, ...] = ()   # the owning teams' slugs, in Sentry's order (its `team` field is the first)


class ProjectDirectory:
    def __init__(self, client: SentryClient, org: str, wanted: tuple[str, ...], refresh_seconds: float,
                 clock: Callable[[], float] = time.time):
        self._client, self._org, self._wanted = client, org, wanted
        self._refresh, self._clock = refresh_seconds, clock
        self._lock = threading.Lock()
        self._projects: tuple[Project, ...] | None = None
        self._fetched_at = 0.0

    def get(self) -> tuple[Project, ...]:
        """The projects to poll: all of them, or the configured slugs (each must exist)."""
        with self._lock:
            if self._projects is None or self._clock() - self._fetched_at >= self._refresh:
                self._projects = self._fetch()
                self._fetched_at = self._clock()
            return self._projects

    def _fetch(self) -> tuple[Project, ...]:
        projects = []
        for page, _ in self._client.pages("projects", f"organizations/{self._org}/projects/", {"per_page": "100"}):
            for raw in page:
                if isinstance(raw, dict) and isinstance(raw.get("id"), (str, int)) and label(raw.get("slug")):
                    projects.append(Project(label(str(raw["id"])), label(raw["slug"]), label(raw.get("platform")),
                                            _team_slugs(raw.get("teams"))))
                else:
                    self._client.stats.count_malformed("projects")
        if not self._wanted:
            return tuple(projects)
        by_slug = {p.slug: p for p in projects}
        missing = [slug for slug in self._wanted if slug not in by_slug]
        if missing:
            raise SentryError("projects", f"SENTRY_PROJECTS names projects the token cannot see: {', '.join(missing)}")
        return tuple(by_slug[slug] for slug in self._wanted)


def _team_slugs(teams: object) -> tuple[str, ...]:
    """The slugs of a project's `teams` (ProjectSummarySerializer: [{id, slug, name}], no order_by, so the
    database's order), kept in that order; an entry without a slug is left out."""
    if not isinstance(teams, list):
        return ()
    return tuple(label(t.get("slug")) for t in teams if isinstance(t, dict) and label(t.get("slug")))


@dataclass(frozen=True)
class Scope:
    """The projects one query names."""
    ids: tuple[str, ...]            # its project= values; Flavor.every_project is every project the token can see
    slugs: frozenset[str] | None    # those projects' slugs; None for every project

    def params(self) -> list[tuple[str, str]]:
        return [("project", i) for i in self.ids]

    def covers(self, slug: str) -> bool:
        return self.slugs is None or slug in self.slugs


class ProjectScopes:
    """One query over every project (project=-1, or SENTRY_PROJECTS' ids), or one query per project once
    Sentry refuses several for lack of the global-views feature (CONTRACT.md §0.10). Older Sentry checks
    that before it reads anything (`organization_group_index.py`, `bases/organization_events.py`), even
    for group= lookups, so the refused query is simply run again, project by project, and remembered."""

    def __init__(self, directory: ProjectDirectory, filtered: bool, endpoint: str, kind: ServerKind):
        self._directory, self._filtered, self._endpoint, self._kind = directory, filtered, endpoint, kind
        self.per_project = False

    def each(self, run: Callable[[Scope], T]) -> list[T]:
        if not self.per_project:
            projects = self._directory.get() if self._filtered else ()
            try:
                return [run(Scope(tuple(p.id for p in projects) or self._kind.get().every_project,
                                  frozenset(p.slug for p in projects) or None))]
            except ContractError as e:
                if not e.global_views_required:
                    raise
                self.per_project = True
                log.warning("Sentry refuses %s queries over several projects (the plan lacks global-views): "
                            "asking one project at a time, a query per project where there was one",
                            self._endpoint, extra={"endpoint": self._endpoint, "detail": e.detail})
        return [run(Scope((p.id,), frozenset({p.slug}))) for p in self._directory.get()]
