"""Issue listing: the search (filter + sort, cached) and the issue serializer."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from .errors import ApiError
from .model import Issue, Org, window_stats
from .search import IssueQuery
from .switches import Behaviour
from .timeutil import DAY, HOUR, floor_to, iso_ms

SORTS = ("date", "freq", "inbox", "new", "recommended", "trends", "user")
GROUP_STATS_PERIODS = {"24h": (24, HOUR), "14d": (14, DAY)}
EXPANDS = ("inbox", "integrationIssues", "latestEventHasAttachments", "owners", "sentryAppIssues", "sessions")
COLLAPSES = ("base", "filtered", "lifetime", "stats", "unhandled")
_CACHE_LIMIT = 32


@dataclass
class Listing:
    issues: list          # sorted by score desc, then id desc
    scores: list          # int scores, same order
    neg_scores: list      # -score, ascending, for bisect
    thresholds: tuple     # window bounds and query times this listing was computed for


def search_issues(org: Org, project_ids: frozenset, environments: frozenset | None, start: float, end: float,
                  query: IssueQuery, sort: str, cache_key: tuple) -> Listing:
    """Issues with events in [start, end] that match ``query``, sorted like Sentry's ``sort``.

    Cached per org version; a cached listing is reused while the moved window (and the query's relative
    times) still covers exactly the same event timestamps, so paging a big org costs one search.
    """
    thresholds = (start, end, *query.thresholds)
    key = ("issues", cache_key)
    cached = org.caches.get(key)
    if cached is not None and _same_events(org.timestamp_index(), cached.thresholds, thresholds):
        return cached
    listing = _search(org, project_ids, environments, start, end, query, sort, thresholds)
    if len(org.caches) > _CACHE_LIMIT:
        org.caches.clear()
    org.caches[key] = listing
    return listing


def _same_events(index: list, old: tuple, new: tuple) -> bool:
    if len(old) != len(new):
        return False
    for a, b in zip(old, new):
        if a != b and (bisect_left(index, a) != bisect_left(index, b) or bisect_right(index, a) != bisect_right(index, b)):
            return False
    return True


def _search(org, project_ids, environments, start, end, query, sort, thresholds) -> Listing:
    tag_match = query.tag_match()
    count_preds = query.window_count_predicates
    rows = []
    for issue in org.issues.values():
        if issue.project.id not in project_ids or not query.issue_ok(issue):
            continue
        count = users = 0
        last = None
        matched = tag_match is None
        for ts, env, n, u, tags in issue.batches:
            if ts < start or ts > end or (environments and env not in environments):
                continue
            count += n
            if u > users:
                users = u
            if last is None or ts > last:
                last = ts
            if not matched and tag_match(tags, env):
                matched = True
        if not count or not matched:
            continue
        if count_preds and not all(pred(count) for pred in count_preds):
            continue
        if sort == "freq":
            score = count
        elif sort == "user":
            score = users
        elif sort == "new":
            score = int((issue.first_seen or issue.created or 0) * 1000)
        else:  # date, and the ranking sorts the simulator approximates by recency
            score = int(last * 1000)
        rows.append((score, issue.id, issue))
    rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    scores = [row[0] for row in rows]
    return Listing([row[2] for row in rows], scores, [-s for s in scores], thresholds)


@dataclass
class SerializeOptions:
    base_url: str
    start: float
    end: float
    now: float
    environments: frozenset | None
    group_stats_period: str | None = "24h"   # "24h" | "14d" | "auto" | None (stats disabled)
    query: IssueQuery | None = None
    expand: tuple = ()
    collapse: tuple = ()
    behaviour: Behaviour = field(default_factory=Behaviour)


def serialize_issue(issue: Issue, org: Org, opts: SerializeOptions) -> dict:
    envs = opts.environments
    project = issue.project
    data = {
        "id": str(issue.id),
        "shareId": None,
        "shortId": issue.short_id,
        "title": issue.title,
        "culprit": issue.culprit,
        "permalink": f"{opts.base_url}/organizations/{org.slug}/issues/{issue.id}/",
        "logger": None,
        "level": issue.level,
        "status": issue.status,
        "statusDetails": {},
        "substatus": issue.substatus,
        "isPublic": False,
        "platform": issue.platform,
        "priority": issue.priority,
        "priorityLockedAt": None,
        "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "project": {"id": project.id, "name": project.name, "slug": project.slug, "platform": project.platform},
        "type": issue.type,
        "issueType": "error" if issue.type == "error" else issue.type,
        "issueCategory": issue.category,
        "metadata": issue.metadata,
        "numComments": 0,
        "assignedTo": issue.assignee.as_json() if issue.assignee else None,
        "isBookmarked": False,
        "isSubscribed": False,
        "subscriptionDetails": None,
        "hasSeen": False,
        "annotations": [],
        "isUnhandled": issue.is_unhandled,
    }
    data["derivedData"] = {
        "blocker": "none", "progress": "none", "status": "open", "viewCount": 0, "hasOpenFixPr": False,
        "isAssigned": issue.assignee is not None, "hasRootCause": False, "lastCompletedAutofixStep": "none",
        "lastProgressedAt": None,
    }
    data["matchingEventId"] = None
    data["matchingEventEnvironment"] = None
    if "stats" not in opts.collapse:
        window = window_stats(issue.batches, opts.start, opts.end, envs)
        data.update(count=str(window.count), userCount=window.users, firstSeen=iso_ms(window.first_seen),
                    lastSeen=iso_ms(window.last_seen))
        if opts.group_stats_period:
            data["stats"] = {opts.group_stats_period: _timeline(issue, opts, envs, None)}
        if "lifetime" not in opts.collapse:
            # count is the group's times_seen over every environment, whatever environment was asked
            # for; only the users and times are per environment (§0.1, api/serializers/models/group.py
            # _parse_seen_stats_results).
            life = window_stats(issue.batches, float("-inf"), float("inf"), envs)
            data["lifetime"] = {"count": str(issue.times_seen), "userCount": life.users,
                                "firstSeen": iso_ms(life.first_seen), "lastSeen": iso_ms(life.last_seen),
                                "stats": None}
        if "filtered" not in opts.collapse:
            data["filtered"] = _filtered(issue, opts, envs)
    if "unhandled" in opts.collapse:
        del data["isUnhandled"]
    if not opts.behaviour.substatus:
        del data["substatus"]
    if not opts.behaviour.priority:
        del data["priority"], data["priorityLockedAt"]
    _expand(data, issue, opts)
    return data


def _filtered(issue: Issue, opts: SerializeOptions, envs) -> dict | None:
    query = opts.query
    if query is None or not query.snuba:
        return None
    match = query.tag_match()
    stats = window_stats(issue.batches, opts.start, opts.end, envs, match)
    data = {"count": str(stats.count), "userCount": stats.users, "firstSeen": iso_ms(stats.first_seen),
            "lastSeen": iso_ms(stats.last_seen)}
    if opts.group_stats_period:
        data["stats"] = {opts.group_stats_period: _timeline(issue, opts, envs, match)}
    return data


def _timeline(issue: Issue, opts: SerializeOptions, envs, tag_match) -> list:
    """tsdb-style buckets ending with the current (partial) one: 24 x 1h, 14 x 1d, or "auto" over the window."""
    if opts.group_stats_period == "auto":
        span = max(opts.end - opts.start, HOUR)
        rollup = HOUR if span <= 7 * DAY else DAY
        first = floor_to(opts.start, rollup)
        points = int((floor_to(opts.end, rollup) - first) // rollup) + 1
    else:
        points, rollup = GROUP_STATS_PERIODS[opts.group_stats_period]
        first = floor_to(opts.now, rollup) - (points - 1) * rollup
    counts = [0] * points
    for ts, env, n, u, tags in issue.batches:
        if ts < first or (envs and env not in envs):
            continue
        index = int((ts - first) // rollup)
        if index < points and (tag_match is None or tag_match(tags, env)):
            counts[index] += n
    return [[first + i * rollup, counts[i]] for i in range(points)]


def _expand(data: dict, issue: Issue, opts: SerializeOptions) -> None:
    added = iso_ms(issue.first_seen or issue.created or opts.now)
    for name in opts.expand:
        if name == "inbox":
            data["inbox"] = {"reason": 0, "reason_details": None, "date_added": added}
        elif name == "owners":
            data["owners"] = ({"type": "ownershipRule", "owner": f"{issue.assignee.kind}:{issue.assignee.id}",
                               "date_added": added} if issue.assignee else None)
        elif name in ("integrationIssues", "sentryAppIssues"):
            data[name] = []
        elif name == "latestEventHasAttachments":
            data[name] = False
        elif name == "sessions":
            data["sessionCount"] = 0


def parse_choice_list(params, name: str, allowed: tuple) -> tuple:
    values = tuple(params.get(name, ()))
    for value in values:
        if value not in allowed:
            raise ApiError(400, f"Invalid value for '{name}': {value!r}")
    return values
