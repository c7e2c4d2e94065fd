"""One listed issue, parsed defensively from the org issues endpoint's JSON."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Any, Callable

from ..parsing import count, label, parse_time


@dataclass(frozen=True, slots=True)
class Issue:
    """The fields of one listed issue that metrics need (parsed defensively)."""
    id: str
    short_id: str
    project: str
    title: str
    culprit: str
    level: str
    substatus: str
    priority: str
    assignee: str
    permalink: str
    events: int | None   # in the query window; None where the server does not say (GlitchTip)
    users: int | None    # in the query window; None where the server does not say (GlitchTip)
    lifetime_events: int
    first_seen: float | None   # lifetime: the top-level firstSeen is clipped to the window
    last_seen: float | None
    # GroupCategory as the group serializer writes it (`issueCategory`: obj.issue_category.name.lower(),
    # src/sentry/api/serializers/models/group.py): error, performance, cron, uptime, feedback, … Absent
    # before Sentry had other categories, so absent is "error".
    category: str = "error"

    @property
    def ranked_events(self) -> int:
        """What the top N ranks by: the window's events, else the lifetime's."""
        return self.events if self.events is not None else self.lifetime_events

    @property
    def is_error(self) -> bool:
        """Its events are error events: what sentry_issue_events_total counts, as dataset=errors does."""
        return self.category == "error"


def assignee_name(assigned: Any) -> str:
    """Teams as '#slug' (Sentry's own notation), users by name; 'unassigned' when nobody owns it."""
    if not isinstance(assigned, dict):
        return "unassigned"
    name = label(assigned.get("name")) or label(assigned.get("email"))
    if not name:
        return "unassigned"
    return label(f"#{name}") if assigned.get("type") == "team" else name


def parse_issue(raw: Any) -> tuple[Issue | None, bool]:
    """The issue (None when unusable) and whether every field present had the type the contract gives."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), (str, int)) or isinstance(raw["id"], bool) \
            or not isinstance(raw.get("project"), dict):
        return None, False
    project = label(raw["project"].get("slug"))
    if not project:
        return None, False
    lifetime = raw.get("lifetime") if isinstance(raw.get("lifetime"), dict) else {}
    # Sentry sends `count` as a string and `userCount` as an integer; count() accepts either for both.
    given = {"count": raw.get("count"), "users": raw.get("userCount"),
             "lifetime": lifetime.get("count", raw.get("count"))}
    numbers = {name: count(value) for name, value in given.items()}
    times = [raw.get(k) for k in ("firstSeen", "lastSeen")] + [lifetime.get(k) for k in ("firstSeen", "lastSeen")]
    texts = [raw.get(k) for k in ("shortId", "title", "culprit", "level", "substatus", "priority", "permalink",
                                  "issueCategory")]
    clean = (all(numbers[n] is not None or given[n] is None for n in given)
             and all(t is None or parse_time(t) is not None for t in times)
             and all(t is None or isinstance(t, str) for t in texts))
    issue_id = label(str(raw["id"]))
    return Issue(
        id=issue_id,
        short_id=label(raw.get("shortId"), issue_id),
        # Interned: a kept state of 50,000 issues holds each project, level or assignee once.
        project=sys.intern(project),
        title=label(raw.get("title")),
        culprit=label(raw.get("culprit")),
        level=sys.intern(label(raw.get("level"), "unknown")),
        substatus=sys.intern(label(raw.get("substatus"), "none")),
        priority=sys.intern(label(raw.get("priority"), "none")),
        assignee=sys.intern(assignee_name(raw.get("assignedTo"))),
        permalink=label(raw.get("permalink")),
        events=numbers["count"] or 0,
        users=numbers["users"] or 0,
        lifetime_events=numbers["lifetime"] or 0,
        first_seen=parse_time(lifetime.get("firstSeen")) or parse_time(raw.get("firstSeen")),
        last_seen=parse_time(raw.get("lastSeen")) or parse_time(lifetime.get("lastSeen")),
        category=sys.intern(label(raw.get("issueCategory"), "error")),
    ), clean


def window_seconds(period: str) -> float:
    """A Sentry period such as 14d or 90m in seconds (config.py has checked its form)."""
    return float(period[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[period[-1]]


def seen_at(issue: Issue) -> float:
    """When the issue was last seen; never, for ordering, when Sentry did not say."""
    return issue.last_seen if issue.last_seen is not None else float("-inf")


def parse_glitchtip_issue(raw: Any) -> tuple[Issue | None, bool]:
    """A GlitchTip issue (`apps/issue_events/schema.py` IssueSchema): `count` is the lifetime total
    whatever the window or environment, `userCount` a constant 0 (`user_count: int | None = 0`), and
    there is no lifetime, substatus, priority or assignee. Unknown values stay unknown: no window events
    or users (absent series), and empty substatus, priority and assignee labels, which Prometheus
    treats as absent."""
    issue, clean = parse_issue(raw)
    if issue is None:
        return None, clean
    return replace(issue, events=None, users=None, substatus="", priority="", assignee=""), clean


READERS: dict[str, Callable[[Any], tuple[Issue | None, bool]]] = {"sentry": parse_issue,
                                                                   "glitchtip": parse_glitchtip_issue}
