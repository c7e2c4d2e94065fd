"""GET organizations/{org}/releases/ (apps/releases/api.py list_releases, apps/releases/schema.py).

- Needs a token with ``project:releases`` (``@has_permission(["project:releases"])``): ``org:read``,
  ``project:read`` or ``event:read`` alone is 403 ``{"detail": "Permission denied"}``.
- Every release of the org, newest first: no order_by, so the paginator's default ``("-created",)``;
  Sentry's ``project``, ``health``, ``summaryStatsPeriod``, ``per_page`` are not parameters (ignored).
  An unknown org is an empty list (get_releases_queryset only filters).
- ReleaseSchema by alias: ``version`` (Meta.fields: ninja builds it from the model, replacing the
  inherited field) and ``shortVersion``, ``ref``, ``url``, ``data``, ``deployCount``, ``dateCreated``,
  ``dateReleased``, and ``projects`` as ``[{name, slug}]``. No health data, no newGroups, no
  lastDeploy: GlitchTip drops session items at ingestion (apps/event_ingest/schema.py) and has no
  sessions route, and a release's deploys are "Not implemented".

GET projects/{org}/{project}/releases/ (list_project_releases) is the same list filtered to one
project (get_releases_queryset's ``projects__slug``), with the same scope.
"""

from __future__ import annotations

from ..context import Response
from .ninja import QueryParams
from .paging import Ordering, paginate, read_paging
from .timefmt import django_iso, micros, position_micros, position_text


def releases(request) -> Response:
    query = QueryParams(request.params)
    limit, cursor = read_paging(query)
    query.check()
    request.require("project:releases")
    org = request.org
    rows = list(org.releases) if request.path_args["org"] == org.slug else []
    if "project" in request.path_args:  # list_project_releases
        project = next((p for p in org.projects.values() if p.slug == request.path_args["project"]), None)
        rows = [r for r in rows if project is not None and project.int_id in r.project_ids]
    ordering = Ordering(lambda r: micros(r.date_created), True, position_text, position_micros)
    rows.sort(key=lambda r: (ordering.key(r), r.id), reverse=True)
    page, headers = paginate(request, rows, ordering, limit, cursor)
    by_id = {p.int_id: p for p in org.projects.values()}
    return Response([{
        "ref": None,
        "dateReleased": django_iso(r.date_released),
        "version": r.version,
        "shortVersion": r.version,
        "url": None,
        "data": {},
        "deployCount": len(r.deploys),
        "dateCreated": django_iso(r.date_created),
        "projects": [{"name": by_id[i].name, "slug": by_id[i].slug} for i in r.project_ids if i in by_id],
    } for r in page], headers=headers)
