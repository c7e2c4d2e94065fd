"""GET organizations/{org}/detectors/ and …/detectors/{id}/: the newer monitors API (workflow_engine).

Uptime monitors are detectors of type ``uptime_domain_failure`` whose data source is their
``uptime_subscription``; every cron monitor also has a ``monitor_check_in_failure`` detector (the backfill
in ``monitors/migrations/0009_backfill_monitor_detectors.py``). The fields follow
``workflow_engine/endpoints/serializers/detector_serializer.py``: ``openIssues`` counts the detector's
unresolved groups, so a down uptime monitor has one. ``query=type:uptime`` (or ``cron``, ``metric``, or a
type slug) filters as ``DETECTOR_TYPE_ALIASES`` in ``organization_detector_index.py``; sorted by id.
"""

from __future__ import annotations

from .api_crons import monitor_json
from .context import Request, Response, paged, selected_projects
from .errors import NOT_FOUND, ApiError
from .monitoring import Monitor, UptimeMonitor, new_guid
from .pagination import offset_page, parse_paging
from .search import tokenize
from .timeutil import iso_ms

UPTIME_TYPE = "uptime_domain_failure"
CRON_TYPE = "monitor_check_in_failure"
TYPE_ALIASES = {"uptime": UPTIME_TYPE, "cron": CRON_TYPE, "metric": "metric_issue"}
CRON_DETECTOR_BASE = 500_000  # cron detector ids: this plus the monitor's internal id


def detectors(request: Request) -> Response:
    if request.behaviour.detectors_status:
        raise ApiError(request.behaviour.detectors_status, _refusal(request.behaviour.detectors_status))
    per_page, cursor = parse_paging(request.params)
    project_ids = {p.id for p in selected_projects(request)}
    wanted_types = _types(request.first("query", ""))
    items = [d for d in _all(request.org) if d["projectId"] in project_ids
             and (not wanted_types or d["type"] in wanted_types)]
    page = offset_page(items, cursor, per_page)
    return paged(request, page, page.items)


def _refusal(status: int) -> str:
    return NOT_FOUND if status == 404 else "You do not have permission to perform this action."


def _types(text: str) -> set:
    wanted = set()
    for token in tokenize(text):
        if token[0] == "filter" and token[2] == "type" and not token[1]:
            wanted.add(TYPE_ALIASES.get(token[3], token[3]))
        else:
            raise ApiError(400, f"Unsupported search term in detectors query: {text!r}")
    return wanted


def _all(org) -> list:
    items = [_uptime_json(org, m) for m in org.uptime_monitors.values()]
    items += [_cron_json(org, m) for m in org.monitors.values()]
    return sorted(items, key=lambda d: int(d["id"]))


def _uptime_json(org, monitor: UptimeMonitor) -> dict:
    latest = _latest_group(monitor) if monitor.incidents else None
    return {
        "id": str(monitor.id), "projectId": monitor.project.id, "name": monitor.name, "description": None,
        "type": UPTIME_TYPE, "workflowIds": [], "owner": monitor.owner.as_json() if monitor.owner else None,
        "createdBy": None, "dateCreated": iso_ms(monitor.date_created), "dateUpdated": iso_ms(monitor.date_created),
        "dataSources": [{
            "id": str(monitor.source_id + 3800), "organizationId": org.id, "type": "uptime_subscription",
            "sourceId": str(monitor.source_id),
            "queryObj": {"url": monitor.url, "method": monitor.method, "body": None, "headers": [],
                         "intervalSeconds": monitor.interval_seconds, "timeoutMs": monitor.timeout_ms,
                         "traceSampling": False}}],
        "conditionGroup": {"id": str(monitor.id + 1), "organizationId": org.id, "logicType": "any",
                           "conditions": [{"id": str(monitor.id + 2), "type": "eq", "comparison": "failure",
                                           "conditionResult": 75},
                                          {"id": str(monitor.id + 3), "type": "eq", "comparison": "success",
                                           "conditionResult": 0}], "actions": []},
        "config": {"mode": 1, "environment": monitor.environment, "downtimeThreshold": monitor.downtime_threshold,
                   "recoveryThreshold": monitor.recovery_threshold},
        "enabled": monitor.enabled,
        "latestGroup": latest,
        "openIssues": 1 if monitor.is_down else 0,
    }


def _latest_group(monitor: UptimeMonitor) -> dict:
    """SimpleGroupSerializer's fields for the monitor's newest downtime issue."""
    project = monitor.project
    return {"id": str(9_000_000 + monitor.id % 1_000_000), "title": f"Downtime detected for {monitor.url}",
            "culprit": "", "shortId": f"{project.slug.upper()}-UPTIME", "level": "error",
            "status": "unresolved" if monitor.is_down else "resolved", "substatus": "new" if monitor.is_down else None,
            "platform": project.platform,
            "project": {"id": project.id, "name": project.name, "slug": project.slug, "platform": project.platform},
            "type": "generic", "issueType": UPTIME_TYPE, "issueCategory": "uptime", "metadata": {}, "numComments": 0,
            "firstSeen": iso_ms(monitor.incident_since or monitor.checks[-1].timestamp),
            "lastSeen": iso_ms(monitor.checks[-1].timestamp)}


def _cron_json(org, monitor: Monitor) -> dict:
    failing = any(env.status == "error" for env in monitor.environments.values())
    detector_id = CRON_DETECTOR_BASE + monitor.internal_id
    return {
        "id": str(detector_id), "projectId": monitor.project.id, "name": monitor.name, "description": None,
        "type": CRON_TYPE, "workflowIds": [], "owner": monitor.owner.as_json() if monitor.owner else None,
        "createdBy": None, "dateCreated": iso_ms(monitor.date_created), "dateUpdated": iso_ms(monitor.date_created),
        "dataSources": [{"id": new_guid(f"cron-source:{monitor.id}")[:8], "organizationId": org.id,
                         "type": "cron_monitor", "sourceId": str(monitor.internal_id),
                         "queryObj": monitor_json(org, monitor)}],
        "conditionGroup": None, "config": {}, "enabled": not monitor.disabled, "latestGroup": None,
        "openIssues": 1 if failing else 0,
    }
