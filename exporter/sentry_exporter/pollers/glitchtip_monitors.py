"""GlitchTip's own monitors, read for the cron and uptime metrics whose meaning they share.

GlitchTip's `organizations/{org}/monitors/` are not Sentry's Crons: they are its uptime monitors (Ping,
GET, POST, TCP Port, SSL) and heartbeat monitors (`apps/uptime/api.py` list_monitors; `schema.py`
MonitorSchema through CamelSchema, whose `to_camel` writes a word `id` as `ID`: `projectID`). Each
has checks at `organizations/{org}/monitors/{id}/checks/`, newest first (`isUp`, `startCheck`,
`responseTime` in ms). A check is the state: GlitchTip has no downtime threshold.

- A Heartbeat monitor is a job that must call in each `interval` seconds, what a cron monitor is: an
  up check is a check-in that came (`ok`), a down one a check-in that did not (`missed`).
- The others check a URL, what an uptime monitor does: an up check is a `success`, a down one a
  `failure`, and a monitor is in an incident while its latest check is down.

`envName` is always null in the list (MonitorSchema has no resolver for it), so the environment is
`none`, as an uptime detector without one. Checks are read by window, [start, end), every page of
it; the callers' windows follow each other and end a minute before the run, since a check is saved
when it ends, up to its `timeout` (60 s at most) after it started.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from ..parsing import count, label, parse_time
from ..sentry.client import SentryClient
from ..sentry.errors import MalformedResponse, SentryError
from . import unsupported_endpoint

HEARTBEAT = "Heartbeat"    # MonitorType in apps/uptime/constants.py; the others check a URL
ENVIRONMENT = "none"       # envName is always null
LAG = 60.0                 # seconds: a check is saved when it ends, up to its timeout (≤ 60 s) after it starts


@dataclass(frozen=True)
class GlitchTipMonitor:
    id: str
    heartbeat: bool
    name: str
    url: str
    project: str          # slug; "" for a monitor of no project
    interval: int | None  # seconds
    is_up: bool | None    # the latest check's; None before the first
    last_up: float | None  # the newest up check of the last 12 h the list carries (`checks`, newest 60)


@dataclass(frozen=True)
class Check:
    at: float             # startCheck
    up: bool
    response_seconds: float | None


def monitors(client: SentryClient, org: str, slugs: dict[str, str]) -> list[GlitchTipMonitor]:
    """Every monitor, each page read. A server without the route is Unsupported."""
    try:
        items = client.listing("monitors", f"organizations/{org}/monitors/").items
    except SentryError as e:
        raise unsupported_endpoint(e)
    found = []
    for item in items:
        monitor = _monitor(item, slugs)
        if monitor is None:
            client.stats.count_malformed("monitors")
        else:
            found.append(monitor)
    if items and not found:  # a poll that learned nothing is not a success
        raise MalformedResponse("monitors", f"none of the {len(items)} monitors is a GlitchTip monitor")
    return found


def checks(client: SentryClient, org: str, monitor: GlitchTipMonitor, start: float, end: float) -> list[Check]:
    """The monitor's checks started in [start, end), newest first: every page that reaches back to them."""
    found: list[Check] = []
    for page, _more in client.pages("monitor_checks", f"organizations/{org}/monitors/{monitor.id}/checks/"):
        older = not page
        for item in page:
            check = _check(item)
            if check is None:
                client.stats.count_malformed("monitor_checks")
            elif check.at < start:
                older = True
            elif check.at < end:
                found.append(check)
        if older:
            break  # newest first: every later page is older still
    return found


def _monitor(item: Any, slugs: dict[str, str]) -> GlitchTipMonitor | None:
    if not isinstance(item, dict) or not isinstance(item.get("monitorType"), str):
        return None
    monitor_id, name = label(str(item.get("id") or "")), label(item.get("name"))
    is_up = item.get("isUp")
    heartbeat = item.get("monitorType") == HEARTBEAT
    url = label(item.get("url"))
    if not monitor_id or not name or not isinstance(is_up, (bool, type(None))) or not (heartbeat or url):
        return None
    project = item.get("projectID")
    recent = [_check(c) for c in item.get("checks") or () if isinstance(item.get("checks"), list)]
    last_up = max((c.at for c in recent if c is not None and c.up), default=None)
    return GlitchTipMonitor(monitor_id, heartbeat, name, url, slugs.get(str(project), "") if project else "",
                            count(item.get("interval")), is_up, last_up)


def _check(item: Any) -> Check | None:
    if not isinstance(item, dict) or not isinstance(item.get("isUp"), bool) \
            or not isinstance(item.get("startCheck"), str):
        return None
    at = parse_time(item["startCheck"])
    if at is None:
        return None
    response = count(item.get("responseTime"))
    return Check(at, item["isUp"], None if response is None else response / 1000)


class Windows:
    """Consecutive windows of checks, one a run: [the end of the previous, now - LAG). The first run
    reads none and counts none, so a restart never counts old checks again; a failed run leaves its
    window to the next one."""

    def __init__(self) -> None:
        self._until: float | None = None

    def read(self, now: float) -> tuple[float, float] | None:
        """The window to read now: None at the first run, or when no time has passed."""
        if self._until is None or now - LAG <= self._until:
            return None
        return self._until, now - LAG

    def done(self, now: float) -> None:
        """The run succeeded: the next window starts where this one ended."""
        self._until = max(self._until or now - LAG, now - LAG)


def url_monitors(found: list[GlitchTipMonitor]) -> Iterator[GlitchTipMonitor]:
    return (m for m in found if not m.heartbeat)


def heartbeats(found: list[GlitchTipMonitor]) -> Iterator[GlitchTipMonitor]:
    return (m for m in found if m.heartbeat)
