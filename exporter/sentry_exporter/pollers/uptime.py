"""Sentry Uptime monitors as the public API shows them: detectors of type uptime_domain_failure.

One call per 100 uptime monitors (`organizations/{org}/detectors/?query=type:uptime`). A detector's
`openIssues` counts its unresolved issues (workflow_engine detector_serializer.py; not in the
published schema, so `latestGroup.status == "unresolved"` stands in where it is absent); an uptime
detector has one while its downtime incident is open, so an open issue is down. Its data source,
the uptime subscription, gives the URL and the check interval; `config` gives the environment and the
downtimeThreshold (failed checks in a row before Sentry opens the incident).

GlitchTip has no detectors; its own monitors that check a URL are uptime monitors in the same sense
(glitchtip_monitors.py): up unless the latest check is down, `interval` seconds apart; no owner and
no downtime threshold (left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..parsing import count, label
from ..sentry.client import SentryClient
from ..sentry.errors import SentryError
from ..sentry.flavor import ServerKind
from . import glitchtip_monitors as glitchtip
from . import unsupported_endpoint

UPTIME_TYPE = "uptime_domain_failure"


@dataclass(frozen=True)
class UptimeMonitor:
    project: str
    environment: str
    url: str
    name: str
    team: str                    # the owner team's slug; "" for a user or no owner
    up: bool
    enabled: bool
    interval_seconds: int | None
    downtime_threshold: int | None


@dataclass(frozen=True)
class UptimeResult:
    monitors: tuple[UptimeMonitor, ...]


class UptimePoller:
    name = "uptime"

    def __init__(self, client: SentryClient, org: str, directory, project_ids, kind: ServerKind):
        self._client, self._org, self._directory, self._project_ids = client, org, directory, project_ids
        self._kind = kind

    def poll(self) -> UptimeResult:
        return {"sentry": self._detectors, "glitchtip": self._url_monitors}[self._kind.get().name]()

    def _url_monitors(self) -> UptimeResult:
        slugs = {p.id: p.slug for p in self._directory.get()}
        monitors = {(m.project, glitchtip.ENVIRONMENT, m.url): UptimeMonitor(
            m.project, glitchtip.ENVIRONMENT, m.url, m.name, "", up=m.is_up is not False, enabled=True,
            interval_seconds=m.interval, downtime_threshold=None)
            for m in glitchtip.url_monitors(glitchtip.monitors(self._client, self._org, slugs))}
        return UptimeResult(tuple(monitors[k] for k in sorted(monitors)))

    def _detectors(self) -> UptimeResult:
        slugs = {p.id: p.slug for p in self._directory.get()}
        params = [("query", "type:uptime"), ("per_page", "100")] + [("project", i) for i in self._project_ids()]
        monitors: dict[tuple[str, str, str], UptimeMonitor] = {}
        try:
            pages = list(self._client.pages("detectors", f"organizations/{self._org}/detectors/", params))
        except SentryError as e:  # detectors are from 2025: older servers and narrower tokens lack them
            raise unsupported_endpoint(e)
        for page, _more in pages:
            for item in page:
                monitor = _monitor(item, slugs)
                if monitor is None:
                    if not (isinstance(item, dict) and item.get("type") != UPTIME_TYPE):
                        self._client.stats.count_malformed("detectors")
                    continue  # another detector type: the query filter is only a hint to older servers
                monitors.setdefault((monitor.project, monitor.environment, monitor.url), monitor)
        return UptimeResult(tuple(monitors[k] for k in sorted(monitors)))


def _monitor(item: Any, slugs: dict[str, str]) -> UptimeMonitor | None:
    if not isinstance(item, dict) or item.get("type") != UPTIME_TYPE:
        return None
    config = item.get("config") if isinstance(item.get("config"), dict) else {}
    sources = item.get("dataSources") if isinstance(item.get("dataSources"), list) else []
    query = next((s.get("queryObj") for s in sources
                  if isinstance(s, dict) and s.get("type") == "uptime_subscription"), None)
    url = label(query.get("url")) if isinstance(query, dict) else ""
    project = slugs.get(str(item.get("projectId")), "")
    open_issues = count(item.get("openIssues"))
    if open_issues is None:  # not in the published schema: fall back on the newest issue's status
        latest = item.get("latestGroup")
        open_issues = int(isinstance(latest, dict) and latest.get("status") == "unresolved")
    if not url or not project:
        return None
    owner = item.get("owner")
    team = label(owner.get("name")) if isinstance(owner, dict) and owner.get("type") == "team" else ""
    return UptimeMonitor(project, label(config.get("environment"), "none"), url, label(item.get("name")), team,
                         up=open_issues == 0, enabled=item.get("enabled") is not False,
                         interval_seconds=count(query.get("intervalSeconds")),
                         downtime_threshold=count(config.get("downtimeThreshold")))
