"""GET organizations/{org}/issues/ and issues/{id}/tags/ (apps/issue_events/api/issues.py).

The listing differs from Sentry's in ways an exporter must know:
- ``sort`` is only ``[-]last_seen|first_seen|count|priority`` (``sort_options``), default ``-last_seen``;
  Sentry's ``date``, ``new``, ``freq``… are a 422.
- ``project`` is ``IssueFilters.project__in: list[int]``: ``-1`` is taken literally and matches nothing;
  no ``project`` is every project of the org.
- ``id`` (``id__in``) picks issues; Sentry's ``group`` is not a parameter and is ignored.
- ``start``/``end`` bound ``first_seen`` (``first_seen__gte/lte``); ``statsPeriod`` is not a parameter,
  so a listing covers the issues' whole life.
- ``environment`` keeps issues with an ``environment`` tag of that value; ``count`` stays the issue's
  total over every environment. Per-environment counts are the issue's tags (``list_issue_tags``).
- ``query``: ``is:``, ``level:``, ``has:``, any other ``key:value`` is a tag match (so Sentry's
  ``issue.category:error`` matches nothing), and free text searches the title (``search_vector``).
"""

from __future__ import annotations

import math
import shlex
import uuid
from collections import Counter

from ..context import Response
from ..errors import ApiError
from ..model import Issue, in_base
from .ninja import QueryParams
from .paging import Ordering, paginate, read_paging
from .timefmt import django_iso, micros, position_micros, position_text

SORTS = ("last_seen", "first_seen", "count", "priority", "-last_seen", "-first_seen", "-count", "-priority")
EVENT_SCOPES = ("event:read", "event:write", "event:admin")
# apps/issue_events/constants.py: the display labels GlitchTip knows.
LEVELS = ("sample", "debug", "info", "warning", "error", "fatal")
STATUSES = ("unresolved", "resolved", "ignored")


def org_issues(request) -> Response:
    query = QueryParams(request.params)
    # IssueFilters, then sort, then the paginator's Input: the order ninja validates them in.
    ids = query.int_list("id", ("filters", "id"))
    start = _relative_time(query, "start", request.now)
    end = _relative_time(query, "end", request.now)
    projects = query.int_list("project", ("filters", "project"))
    environments = query.str_list("environment")
    text = query.text("query")
    sort = query.literal("sort", SORTS, default="-last_seen")
    limit, cursor = read_paging(query)
    query.check()
    request.require(*EVENT_SCOPES)
    request.organization()
    headers = {}
    event_id = _uuid(text)
    rows = [i for i in request.org.issues.values()
            if (ids is None or i.id in ids) and (projects is None or i.project.int_id in projects)
            and (start is None or _first_seen(i) >= start) and (end is None or _first_seen(i) <= end)
            and (not environments or _has_environment(i, environments))]
    if event_id is not None:
        headers["X-Sentry-Direct-Hit"] = "1"  # an event id: the issues holding that event (none here)
        rows = []
    elif text:
        rows = [i for i in rows if _matches(i, text)]
    ordering = _ordering(sort)
    rows.sort(key=lambda i: (ordering.key(i), i.id), reverse=ordering.descending)
    page, paging_headers = paginate(request, rows, ordering, limit, cursor)
    headers.update(paging_headers)
    return Response([issue_json(i, request.link_base) for i in page], headers=headers)


def issue_tags(request) -> Response:
    """GET issues/{id}/tags/[?key=] (list_issue_tags): each tag key's values with their event counts,
    over every environment and all time. An unknown key is an empty list with a 200."""
    query = QueryParams(request.params)
    key = query.text("key")
    query.check()
    request.require(*EVENT_SCOPES)
    issue = request.org.issues.get(int(request.path_args["issue"]))
    if issue is None:
        raise ApiError(404, "Not Found")
    totals: Counter = Counter()
    for _ts, env, n, _users, tags in issue.batches:
        for tag_key, value in (("environment", env), *tags):
            if key is None or tag_key == key:
                totals[(tag_key, value)] += n
    rows = sorted(totals.items(), key=lambda item: -item[1])  # order_by("-total_count")
    keys = list(dict.fromkeys(k for (k, _v), _n in rows))
    return Response([{
        "topValues": [{"name": v, "value": v, "count": n, "key": k} for (k, v), n in rows if k == tag_key],
        "uniqueValues": sum(1 for (k, _v), _n in rows if k == tag_key),
        "key": tag_key,
        "name": tag_key,
        "totalValues": sum(n for (k, _v), n in rows if k == tag_key),
    } for tag_key in keys])


def issue_json(issue: Issue, base_url: str) -> dict:
    """apps/issue_events/schema.py IssueSchema, by alias: ``count`` a string (coerce_numbers_to_str),
    ``userCount`` its default 0, ``stats`` its default ``{"24h": []}``, ``permalink`` under the
    *project* slug (resolve_permalink), ``shortId`` SLUG-base32 (Issue.short_id_display). No
    substatus, priority, assignee, lifetime or filtered blocks: GlitchTip has none."""
    project = issue.project
    return {
        "title": issue.title,
        "metadata": issue.metadata,
        "culprit": issue.culprit or "",
        "id": str(issue.id),
        "count": str(_count(issue)),
        "type": "error" if issue.type == "error" else "default",
        "level": issue.level,
        "status": issue.status,
        "project": {"platform": project.platform, "slug": project.slug, "name": project.name,
                    "id": project.id},
        "shortId": short_id(issue),
        "numComments": 0,
        "stats": {"24h": []},
        "shareId": None,
        "logger": None,
        "permalink": f"{base_url}/{project.slug}/issues/{issue.id}",
        "statusDetails": {},
        "subscriptionDetails": None,
        "userCount": 0,
        "matchingEventId": None,
        "firstSeen": django_iso(_first_seen(issue)),
        "lastSeen": django_iso(_last_seen(issue)),
    }


def short_id(issue: Issue) -> str:
    """``{PROJECT_SLUG}-{base32(short_id)}`` (apps/issue_events/utils.py int2base with base 32: digits
    then upper-case letters, so 10 -> A and 32 -> 10). The simulator's per-project counter is the number."""
    number = int(issue.short_id.rsplit("-", 1)[1], 36)
    return f"{issue.project.slug.upper()}-{in_base(number, 32)}"


def _count(issue: Issue) -> int:
    return issue.times_seen or 1  # an issue exists from its first event: Issue.count defaults to 1


def _first_seen(issue: Issue) -> float:
    return _received(issue, issue.first_seen)


def _last_seen(issue: Issue) -> float:
    return _received(issue, issue.last_seen)


def _received(issue: Issue, ts: float | None) -> float:
    """A time as GlitchTip stores it: when the event was received, to the microsecond. Two issues
    never share one there, while simulated events often share a second; a tie on the cursor's column
    is what GlitchTip's keyset paging steps over with its offset (capped at 100), so ties the
    database would not have are broken by a few microseconds (under a millisecond, the precision
    the answer shows). Counts keep their ties: a hundred issues seen once are real."""
    base = ts if ts is not None else (issue.created or 0.0)
    return base + (issue.id % 997 + 1) / 1_000_000


def _ordering(sort: str) -> Ordering:
    descending, field = sort.startswith("-"), sort.lstrip("-")
    if field in ("last_seen", "first_seen"):
        read = _last_seen if field == "last_seen" else _first_seen
        return Ordering(lambda i: micros(read(i)), descending, position_text, position_micros)
    if field == "count":
        return Ordering(_count, descending, str, int)
    # filter_issue_list's annotation: Log(10, count) + epoch(last_seen) / 300000
    return Ordering(lambda i: math.log10(_count(i)) + _last_seen(i) / 300000.0, descending, str, float)


def _has_environment(issue: Issue, environments: list) -> bool:
    return any(env in environments for _ts, env, *_rest in issue.batches)


def _tag_values(issue: Issue, key: str) -> set:
    values = set()
    for _ts, env, _n, _users, tags in issue.batches:
        if key == "environment":
            values.add(env)
        values.update(v for k, v in tags if k == key)
    return values


def _matches(issue: Issue, text: str) -> bool:
    """filter_issue_list's query: structured ``name:value`` parts, then free text to the end."""
    parts = shlex.split(text)
    for index, part in enumerate(parts):
        name, sep, value = part.partition(":")
        if sep:
            value = value.strip('"')
            if name == "is":
                if issue.status != value:  # EventStatus.from_string: None for others, matching nothing
                    return False
            elif name == "has":
                if not _tag_values(issue, value):
                    return False
            elif name == "level":
                if issue.level != value:
                    return False
            elif value not in _tag_values(issue, name):
                return False
        else:
            # Postgres full-text search on the title: approximated as every word in the title.
            words = " ".join(parts[index:]).replace("*", " ").lower().split()
            return all(word in issue.title.lower() for word in words)
    return True


def _uuid(text: str | None) -> uuid.UUID | None:
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _relative_time(query: QueryParams, name: str, now: float) -> float | None:
    """RelativeDateTime: ``now``, ``now-<n>m|h|d``, or an ISO datetime (relative_to_datetime)."""
    value = query.text(name)
    if value is None:
        return None
    if value == "now":
        return now
    compact = value.replace(" ", "")
    if compact.startswith("now-") and compact[4:-1].isdigit() and compact[-1:] in ("m", "h", "d"):
        return now - int(compact[4:-1]) * {"m": 60, "h": 3600, "d": 86400}[compact[-1]]
    return query.datetime(name, value=value)
