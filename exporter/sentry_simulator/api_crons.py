"""GET organizations/{org}/monitors/, …/monitors/{slug}/ and …/monitors/{slug}/checkins/ (Crons).

As ``src/sentry/monitors/endpoints/organization_monitor_index.py``: OffsetPaginator; ``environment``
keeps only monitors with an environment among them and lists only those environments; ``owner`` is
``team:ID`` / ``user:ID`` (or ``unassigned``); the default sort is by status: disabled last, then muted,
then by the best environment's status (error, ok, active), then newest check-in first.
Check-ins as ``organization_monitor_checkin_index.py``: newest first, within ``statsPeriod``/``start``/
``end`` (default 90 days, ``get_date_range_from_params``), OffsetPaginator.

Two places where Sentry's source and its published schema disagree follow the source (the schema test
checks that they are the only differences): ``environments`` is a list (the serializer returns
``attrs["environments"]``, a list; the response TypedDict names one item), and ``owner`` is null for a
monitor without one (``actor_data.get(item.owner_actor)``).
"""

from __future__ import annotations

from .api_org import project_serializer_json
from .context import Request, Response, paged, selected_environments, selected_projects
from .errors import NOT_FOUND, ApiError
from .monitoring import CheckIn, Monitor
from .pagination import offset_page, parse_paging
from .timeutil import iso_ms, window_from_params

# monitors/models.py DEFAULT_STATUS_ORDER
_STATUS_ORDER = {"error": 0, "ok": 1, "active": 2, "disabled": 3}


def monitors(request: Request) -> Response:
    org = request.org
    per_page, cursor = parse_paging(request.params)
    project_ids = {p.id for p in selected_projects(request)}
    environments = selected_environments(request)
    owners = [v for v in request.params.get("owner", []) if v]
    items = [m for m in org.monitors.values() if m.project.id in project_ids
             and (not environments or environments & set(m.environments))
             and (not owners or _owned_by(m, owners))]
    items.sort(key=lambda m: _status_sort_key(m, environments))
    page = offset_page(items, cursor, per_page)
    return paged(request, page, [monitor_json(org, m, environments) for m in page.items])


def checkins(request: Request) -> Response:
    found = _monitor(request)
    per_page, cursor = parse_paging(request.params)
    start, end = window_from_params(request.params, request.now)
    environments = selected_environments(request)
    items = [c for c in reversed(found.checkins) if start <= c.date_added <= end
             and (not environments or c.environment in environments)]
    page = offset_page(items, cursor, per_page)
    return paged(request, page, [checkin_json(found, c) for c in page.items])


def _monitor(request: Request) -> Monitor:
    """As get_monitor_by_org_id_or_slug (monitors/endpoints/base.py): by slug first, and a slug that
    several projects use answers the oldest of those monitors; else by id (the guid)."""
    key = request.path_args["monitor"]
    monitors = request.org.monitors.values()
    found = min((m for m in monitors if m.slug == key), key=lambda m: m.internal_id, default=None) \
        or next((m for m in monitors if m.id == key), None)
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return found


def _owned_by(monitor: Monitor, owners: list) -> bool:
    if monitor.owner is None:
        return "unassigned" in owners
    return f"{monitor.owner.kind}:{monitor.owner.id}" in owners


def _status_sort_key(monitor: Monitor, environments) -> tuple:
    envs = [e for e in monitor.environments.values() if not environments or e.name in environments]
    if monitor.disabled:
        rank = len(_STATUS_ORDER) + 1
    elif monitor.is_muted:
        rank = len(_STATUS_ORDER)
    else:
        rank = min((len(_STATUS_ORDER) + 1 if e.is_muted else _STATUS_ORDER.get(e.status, 3) for e in envs),
                   default=len(_STATUS_ORDER) + 2)  # a NULL subquery sorts last in Postgres
    newest = max((e.last_checkin for e in envs if e.last_checkin), default=0.0)
    return rank, -newest, monitor.slug


def monitor_json(org, monitor: Monitor, environments=None) -> dict:
    envs = [e for e in monitor.environments.values() if not environments or e.name in environments]
    # serializers.py orders environments by status, then newest check-in, then environment id
    envs.sort(key=lambda e: (len(_STATUS_ORDER) + 1 if e.is_muted else _STATUS_ORDER.get(e.status, 3),
                             -(e.last_checkin or 0)))
    return {
        "id": monitor.id,
        "status": "disabled" if monitor.disabled else "active",
        "isMuted": monitor.is_muted,
        "isUpserting": False,
        "type": "cron_job",
        "name": monitor.name,
        "slug": monitor.slug,
        "config": monitor.config(),
        "dateCreated": iso_ms(monitor.date_created),
        "project": project_serializer_json(monitor.project, org),
        "environments": [_environment_json(monitor, e) for e in envs],
        "owner": monitor.owner.as_json() if monitor.owner else None,
    }


def _environment_json(monitor: Monitor, env) -> dict:
    incident = None
    if env.incident_start is not None:
        incident = {"startingTimestamp": iso_ms(env.incident_start), "resolvingTimestamp": None, "brokenNotice": None}
    return {
        "name": env.name,
        "status": "disabled" if monitor.disabled else env.status,  # DISABLED is denormalized off the monitor
        "isMuted": env.is_muted,
        "dateCreated": iso_ms(monitor.date_created),
        "lastCheckIn": iso_ms(env.last_checkin),
        "nextCheckIn": iso_ms(env.next_checkin),
        "nextCheckInLatest": iso_ms(env.next_checkin_latest),
        "activeIncident": incident,
    }


def checkin_json(monitor: Monitor, checkin: CheckIn) -> dict:
    return {
        "id": checkin.id,
        "environment": checkin.environment,
        "status": checkin.status,
        "duration": checkin.duration_ms,
        "dateCreated": iso_ms(checkin.date_added),
        "dateAdded": iso_ms(checkin.date_added),
        "dateUpdated": iso_ms(checkin.date_updated or checkin.date_added),
        "dateInProgress": iso_ms(checkin.date_in_progress),
        "dateClock": iso_ms((checkin.date_added // 60) * 60),
        "expectedTime": iso_ms(checkin.expected_time),
        "monitorConfig": monitor.config(),
    }
