"""GET organizations/{org}/monitors/ and monitors/{id}/checks/ (apps/uptime/api.py, schema.py, models.py).

GlitchTip's ``/monitors/`` are its own uptime monitors (Ping, GET, POST, TCP Port, SSL) and heartbeat
monitors, not Sentry's Crons: a different object under the same path.
- No scope check (list_monitors has no has_permission): any valid token lists them.
- Newest first (no order_by: the paginator's default ``-created``), cursor-paged; an unknown org is
  an empty list.
- MonitorSchema through CamelSchema's to_camel, where a word ``id`` becomes ``ID``: ``projectID``
  (a string: coerce_numbers_to_str), ``environmentID``, ``organizationID``, ``endpointID``; ``isUp``
  is the latest check's ``is_up`` (None before any), ``lastChange`` the latest state change's
  ``start_check`` as ``isoformat().replace("+00:00", "Z")`` (microseconds kept), ``envName`` always
  None (no resolver, no such attribute), ``checks`` the latest 60 of the last 12 h, newest first.
- A monitor's checks: ``isUp``, ``startCheck``, ``reason`` (MonitorCheckReason: 0 unknown, 1 timeout,
  2 wrong status, …), ``responseTime`` in ms; newest first; ``is_change`` filters; an unknown monitor
  is an empty list.

The simulator's org holds Sentry's objects, so this flavour shows them as GlitchTip would hold them:
an uptime monitor as a GlitchTip monitor of its method ("GET"…), a success check up and a failure
down (GlitchTip has no downtime threshold: each check is the state); a cron monitor as a "Heartbeat"
monitor whose ok check-ins are up and error/missed/timeout ones down (reason 1, timeout).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..context import Response
from ..monitoring import new_guid
from .ninja import QueryParams
from .paging import Ordering, paginate, read_paging
from .timefmt import as_datetime, django_iso, micros, position_micros, position_text

RECENT_CHECKS = 60          # get_monitor_queryset: row_number <= 60
RECENT_WINDOW = 12 * 3600   # start_check > now - 12 h
TIMEOUT, WRONG_STATUS = 1, 2  # apps/uptime/constants.py MonitorCheckReason


@dataclass(frozen=True)
class Check:
    is_up: bool
    start_check: float
    reason: int | None
    response_time: int | None
    is_change: bool


@dataclass(frozen=True)
class GlitchTipMonitor:
    id: int
    monitor_type: str
    name: str
    url: str
    created: float
    project: object
    environment: str | None
    interval: int
    timeout: int | None
    endpoint_id: str | None
    checks: tuple  # Check, newest first


def monitors(request) -> Response:
    query = QueryParams(request.params)
    limit, cursor = read_paging(query)
    query.check()
    rows = glitchtip_monitors(request.org) if request.path_args["org"] == request.org.slug else []
    ordering = Ordering(lambda m: micros(m.created), True, position_text, position_micros)
    rows.sort(key=lambda m: (ordering.key(m), m.id), reverse=True)
    page, headers = paginate(request, rows, ordering, limit, cursor)
    return Response([_monitor_json(m, request) for m in page], headers=headers)


def checks(request) -> Response:
    query = QueryParams(request.params)
    is_change = _boolean(query, "is_change")
    limit, cursor = read_paging(query)
    query.check()
    monitor = None
    if request.path_args["org"] == request.org.slug:
        monitor = next((m for m in glitchtip_monitors(request.org) if m.id == int(request.path_args["monitor"])), None)
    rows = [c for c in (monitor.checks if monitor else ()) if is_change is None or c.is_change == is_change]
    ordering = Ordering(lambda c: micros(c.start_check), True, position_text, position_micros)
    page, headers = paginate(request, rows, ordering, limit, cursor)
    return Response([{"isUp": c.is_up, "startCheck": django_iso(c.start_check), "reason": c.reason,
                      "responseTime": c.response_time} for c in page], headers=headers)


def glitchtip_monitors(org) -> list[GlitchTipMonitor]:
    """The org's uptime and cron monitors as GlitchTip monitors, numbered in creation order."""
    found = []
    for uptime in org.uptime_monitors.values():
        results = [(c.timestamp, c.status == "success",
                    None if c.status == "success" else (WRONG_STATUS if c.http_status else TIMEOUT),
                    c.duration_us // 1000) for c in uptime.checks if c.status in ("success", "failure")]
        found.append(("uptime", uptime.date_created, uptime.name, dict(
            monitor_type=uptime.method, url=uptime.url, project=uptime.project, environment=uptime.environment,
            interval=uptime.interval_seconds, timeout=max(1, min(uptime.timeout_ms // 1000, 60)), endpoint_id=None),
            results))
    for cron in org.monitors.values():
        results = [(c.date_added, c.status == "ok", None if c.status == "ok" else TIMEOUT, c.duration_ms)
                   for c in cron.checkins if c.status in ("ok", "error", "missed", "timeout")]
        found.append(("cron", cron.date_created, cron.name, dict(
            monitor_type="Heartbeat", url="", project=cron.project, environment=None,
            interval=cron.period, timeout=None, endpoint_id=new_guid(f"heartbeat:{org.slug}:{cron.slug}")),
            results))
    found.sort(key=lambda row: (row[1], row[0], row[2]))
    result = []
    for number, (_kind, created, name, fields, results) in enumerate(found, start=1):
        checks, previous = [], None
        for at, is_up, reason, response_time in sorted(results):
            checks.append(Check(is_up, at, reason, response_time, is_up is not previous))
            previous = is_up
        result.append(GlitchTipMonitor(number, name=name, created=created, checks=tuple(reversed(checks)), **fields))
    return result


def _monitor_json(monitor: GlitchTipMonitor, request) -> dict:
    org = request.org
    latest = monitor.checks[0] if monitor.checks else None
    change = next((c for c in monitor.checks if c.is_change), None)
    recent = [c for c in monitor.checks if c.start_check > request.now - RECENT_WINDOW][:RECENT_CHECKS]
    environment_ids = {name: number for number, name in enumerate(org.environments, start=1)}
    heartbeat = (f"{request.link_base}/api/0/organizations/{org.slug}/heartbeat_check/{monitor.endpoint_id}/"
                 if monitor.endpoint_id else None)
    return {
        "id": monitor.id,
        "monitorType": monitor.monitor_type,
        "endpointID": monitor.endpoint_id,
        "created": django_iso(monitor.created),
        "name": monitor.name,
        "url": monitor.url,
        "expectedStatus": 200,
        "expectedBody": "",
        "interval": monitor.interval,
        "timeout": monitor.timeout,
        "projectID": monitor.project.id if monitor.project else None,
        "environmentID": environment_ids.get(monitor.environment),
        "isUp": latest.is_up if latest else None,
        "lastChange": (as_datetime(micros(change.start_check)).isoformat().replace("+00:00", "Z")
                       if change else None),
        "heartbeatEndpoint": heartbeat,
        "projectName": monitor.project.name if monitor.project else None,
        "envName": None,
        "checks": [{"isUp": c.is_up, "startCheck": django_iso(c.start_check), "reason": c.reason}
                   for c in recent],
        "organizationID": int(org.id),
    }


def _boolean(query: QueryParams, name: str) -> bool | None:
    """pydantic's lax bool from a string."""
    value = query.text(name)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in ("1", "on", "t", "true", "y", "yes"):
        return True
    if lowered in ("0", "off", "f", "false", "n", "no"):
        return False
    query.errors.append({"type": "bool_parsing", "loc": ["query", name],
                         "msg": "Input should be a valid boolean, unable to interpret input"})
    return None
