"""The organization's projects, fetched at most once per refresh interval and shared by pollers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from .parsing import label
from .sentry.client import SentryClient
from .sentry.errors import SentryError


@dataclass(frozen=True)
class Project:
    id: str
    slug: str
    platform: str


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
                    projects.append(Project(label(str(raw["id"])), label(raw["slug"]), label(raw.get("platform"))))
                else:
                    self._client.stats.count_malformed("projects")
        if not self._wanted:
            return tuple(projects)
        by_slug = {p.slug: p for p in projects}
        missing = [slug for slug in self._wanted if slug not in by_slug]
        if missing:
            raise SentryError("projects", f"SENTRY_PROJECTS names projects the token cannot see: {', '.join(missing)}")
        return tuple(by_slug[slug] for slug in self._wanted)
