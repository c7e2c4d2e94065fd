"""Before an issue missing from a full listing counts as `left`, ask Sentry for it by id (CONTRACT.md §0.7).

A large search can end early and still say results="false" (§0.6), so a missing issue proves nothing.
`GET organizations/{org}/issues/?group=ID…` (GlitchTip: `id=ID…`, flavor.py) answers exactly those
issues in their current status, whatever the query (`organization_group_index.py`: "If group ids
specified, just ignore any query components"; it filters on `project_id__in=project_ids` and raises PermissionDenied, a 403, when a
group is in a project the token cannot see). The rules, per missing issue:

- absent from the answer (merged or deleted), or in a project the token cannot see: left;
- resolved, ignored or archived: left;
- unresolved, but last seen before the window: aged out (still a `left`);
- unresolved and seen inside the window, but before the listing started: the listing was cut.
  Confirmation stops there, and what it did not confirm stays as it was: a cut listing lowers nothing.
  (Seen since the listing started, it came back while the listing ran: news, not a cut.)

A verdict is as old as its lookup: `asked` keeps when each id was asked for, so a pass that saw the
issue after that (it regressed in between) wins over the verdict (IssueState.depart).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..sentry.client import SentryClient
from ..sentry.errors import AuthError, MalformedResponse
from ..sentry.flavor import Flavor
from .issue import READERS, Issue

BATCH = 100  # ids per call: the listing's own page size, which keeps the request line short


@dataclass
class Confirmation:
    listed_from: float                              # when the listing started
    left: set[str] = field(default_factory=set)     # ids that really left
    last: dict[str, Issue] = field(default_factory=dict)  # of those, the ones found (resolved, aged out): as found
    present: list[Issue] = field(default_factory=list)   # unresolved in the window: current observations
    answered: int = 0                               # issues the lookups found at all, in any status
    asked: dict[str, float] = field(default_factory=dict)  # id -> when its lookup was sent

    @property
    def cut(self) -> bool:
        """An issue the listing should have shown, since it was seen before the listing started."""
        return any(issue.last_seen is not None and issue.last_seen < self.listed_from for issue in self.present)


def confirm(client: SentryClient, org: str, ids: list[str], params: list[tuple[str, str]],
            window_start: float, result: Confirmation, clock: Callable[[], float], flavor: Flavor) -> None:
    """Look up the missing `ids` (≤ BATCH a call) with the listing's project, environment and window
    `params`, into `result`. Stops at the first batch that shows the listing was cut."""
    for offset in range(0, len(ids), BATCH):
        if result.cut:
            break
        _lookup(client, org, ids[offset:offset + BATCH], params, window_start, result, clock, flavor)


def _lookup(client: SentryClient, org: str, ids: list[str], params: list[tuple[str, str]], window_start: float,
            result: Confirmation, clock: Callable[[], float], flavor: Flavor) -> None:
    result.asked.update(dict.fromkeys(ids, clock()))
    try:
        answer = client.get_json("issues", f"organizations/{org}/issues/",
                                 params + [(flavor.lookup_param, i) for i in ids])
    except AuthError as e:
        if e.status != 403:
            raise
        if len(ids) > 1:  # one of them is in a project the token cannot see: find which, by halves
            half = len(ids) // 2
            _lookup(client, org, ids[:half], params, window_start, result, clock, flavor)
            if not result.cut:
                _lookup(client, org, ids[half:], params, window_start, result, clock, flavor)
        else:
            result.left.update(ids)  # not ours to see any more: gone from every listing we can make
        return
    if not isinstance(answer, list):
        client.stats.count_malformed("issues")
        raise MalformedResponse("issues", f"expected a list of issues by id, got {type(answer).__name__}")
    found: dict[str, tuple[Issue, Any]] = {}
    for raw in answer:
        issue, clean = READERS[flavor.name](raw)
        if not clean:
            client.stats.count_malformed("issues")
        if issue is not None and issue.id in ids:
            found[issue.id] = (issue, raw.get("status"))
    result.answered += len(found)
    for issue_id in ids:
        issue, status = found.get(issue_id, (None, None))
        if issue is not None and status == "unresolved" and issue.last_seen is not None \
                and issue.last_seen >= window_start:
            result.present.append(issue)
            continue
        result.left.add(issue_id)  # absent (merged, deleted), resolved, ignored, archived, or aged out
        if issue is not None:
            result.last[issue_id] = issue

