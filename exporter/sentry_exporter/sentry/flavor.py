"""Which server answers: Sentry, or GlitchTip (a server implementing part of Sentry's web API).

Every difference in the *requests* lives in `Flavor`; each poller's *reading* of an answer that
differs is in that poller's module, chosen by `Flavor.name`. Cited from GlitchTip's source
(true-og/glitchtip-backend at c264800):

- issues sort: `apps/issue_events/api/issues.py` `sort_options` takes only [-]last_seen, first_seen,
  count or priority (`sort=date`/`new` is a 422);
- `project=-1` is a project id there (`IssueFilters.project__in`) and matches nothing, while no
  `project` means every project of the token's user (`get_queryset`); Sentry needs -1 for that
  (CONTRACT §0.15);
- issues by id: `IssueFilters.id__in` (alias `id`); `group=` is ignored and lists every issue;
- releases of one project: `projects/{org}/{project}/releases/` (`apps/releases/api.py`); the org's
  list takes no `project` filter;
- no sessions route (`glitchtip/api/api.py` mounts none; `apps/event_ingest/schema.py` drops session
  items at ingestion): releases come without health.

The kind is detected once, from `GET /api/settings/`: GlitchTip answers it without auth with its
`SettingsOut` (`glitchtip/api/api.py` `get_settings`), whose `iPaidForGlitchTip` no Sentry sends.
Sentry has no such route: `src/sentry/web/urls.py` redirects `^api/[^0]+/?$` to its API settings page
(a 302, which the client does not follow), and a proxy may answer 404 or a page. Any such answer
means Sentry; only no answer (a network error, a 5xx, throttling) leaves the kind unknown, to be
asked again at the next poll. SENTRY_FLAVOR forces it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from .client import SentryClient
from .errors import SentryError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flavor:
    name: str
    sort_first_seen: str              # issues by first seen, newest first: stable while a listing pages
    sort_last_seen: str               # issues by last seen, newest first: what an incremental pass reads
    every_project: tuple[str, ...]    # the project= values that mean every project the token can see
    lookup_param: str                 # issues by id: name of the repeated parameter
    sessions: bool                    # organizations/{org}/sessions/ exists: release health
    project_releases: str | None = None   # the path of one project's releases, where the org list cannot filter

    def all_projects(self, ids: list[str] | tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """project= parameters: `ids`, or every project the token can see."""
        return [("project", i) for i in (ids or self.every_project)]

    def releases_of(self, org: str, project_id: str, slug: str) -> tuple[str, list[tuple[str, str]]]:
        """Where one project's releases are listed: (path, parameters)."""
        if self.project_releases is None:
            return f"organizations/{org}/releases/", [("project", project_id)]
        return self.project_releases.format(org=org, project=slug), []


SENTRY = Flavor("sentry", sort_first_seen="new", sort_last_seen="date", every_project=("-1",),
                lookup_param="group", sessions=True)
GLITCHTIP = Flavor("glitchtip", sort_first_seen="-first_seen", sort_last_seen="-last_seen", every_project=(),
                   lookup_param="id", sessions=False, project_releases="projects/{org}/{project}/releases/")
FLAVORS = {f.name: f for f in (SENTRY, GLITCHTIP)}


def detect(client: SentryClient) -> Flavor:
    """GlitchTip when /api/settings/ answers its settings object; Sentry for any other answer. No answer
    (a network error, a 5xx, throttling) raises SentryError: the kind stays unknown and is asked again."""
    try:
        body = client.get("flavor", "settings/", root="api").json()
    except SentryError as e:
        if e.status is None or e.status >= 500 or e.status == 429:
            raise
        return SENTRY  # a redirect, a 404, a refusal: not GlitchTip's open settings
    except (ValueError, RecursionError):
        return SENTRY  # a page, not JSON
    return GLITCHTIP if isinstance(body, dict) and "iPaidForGlitchTip" in body else SENTRY


class ServerKind:
    """The flavor, forced by SENTRY_FLAVOR or detected at the first poll that needs it, then kept."""

    def __init__(self, client: SentryClient, forced: str | None = None):
        self._client = client
        self._lock = threading.Lock()
        self.flavor: Flavor | None = FLAVORS[forced] if forced else None
        self.source = "SENTRY_FLAVOR" if forced else "detected"
        if self.flavor is not None:
            _say(self.flavor, self.source)

    def get(self) -> Flavor:
        with self._lock:
            if self.flavor is None:
                self.flavor = detect(self._client)
                _say(self.flavor, self.source)
            return self.flavor


def _say(flavor: Flavor, source: str) -> None:
    how = "set by SENTRY_FLAVOR" if source == "SENTRY_FLAVOR" else "detected from GET /api/settings/"
    log.info("server flavor: %s (%s)", flavor.name, how, extra={"flavor": flavor.name, "flavor_source": source})
