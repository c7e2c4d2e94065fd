"""A live org for the steady-state benchmark, and the control route that serves its truth.

``LiveOrg`` changes the org as a busy one changes, at rates per (scaled) minute: about 1 % of the
unresolved issues get events, and new issues, resolutions, regressions, assignments and priority
changes arrive. It logs every change of an issue's counted key, so the bench can tell "this issue
changed while the reconciliation ran" from a counting error.

The control route (``/_control/…``, only with ``--control``; never in the demo) is for the bench:

- ``truth?since=T``: the counts as the exporter labels them, the key changes since T, the events the
  driver recorded, and the issues that left the unresolved window since the driver started;
- ``live?action=start|stop``; ``probe?kind=new|regression|burst|resolution`` (in the ``bench-probe`` project);
- ``switch?listing_cut=N|none``: Sentry's chunked search ending early (§0.6).
"""

from __future__ import annotations

import random
import threading
import time

from .model import Assignee, Issue, Org
from .switches import Behaviour
from .timeutil import DAY

PERIOD = 14 * DAY
PROBE = "bench-probe"
# Per minute, as fractions of the unresolved issues (a busy org; the issue asks for ~1 % with events).
RATES = {"events": 0.01, "new": 0.0002, "resolved": 0.0002, "regressed": 0.00005, "reassigned": 0.0001}
TICK = 4.0  # seconds between batches of changes: each batch flushes the simulator's listing cache once
ASSIGNEES = (None, Assignee("user", "1", "Alice Martin", "alice@example.com"), Assignee("team", "2", "team-b"))


def key(issue: Issue) -> tuple | None:
    """The issue's sentry_issues labels, as the exporter writes them; None when it is not counted."""
    if issue.status != "unresolved":
        return None
    a = issue.assignee
    assignee = "unassigned" if a is None else (f"#{a.name}" if a.kind == "team" else a.name)
    return (issue.project.slug, issue.level, issue.substatus or "none", issue.priority or "none", assignee)


class LiveOrg:
    def __init__(self, org: Org, scale: float = 1.0, seed: int = 1):
        self.org, self.scale, self._rng = org, scale, random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.events = 0                  # events recorded since start
        self.changes: list[tuple[float, tuple | None, tuple | None]] = []   # (when, old key, new key)
        self.started: float | None = None
        self._resolved: list[int] = []
        self._carry = dict.fromkeys(RATES, 0.0)
        with org.lock:
            self._unresolved = [i.id for i in org.issues.values() if i.status == "unresolved"]
            probe = org.add_project(PROBE)
            self._burst = org.create_issue(probe, substatus="ongoing")
            org.record_events(self._burst.id, 1, at=time.time() - 60)
            self._probe_pool = []  # known to the exporter; a regression probe resolves one and brings it back
            for _ in range(100):
                issue = org.create_issue(probe, substatus="ongoing")
                org.record_events(issue.id, 1, at=time.time() - 3600)
                self._probe_pool.append(issue.id)

    # ---- the driver

    def start(self) -> None:
        if self._thread is None:
            self.started = time.time()
            self._thread = threading.Thread(target=self._run, name="live-org", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()  # no change lands after stop() returns

    def _run(self) -> None:
        while not self._stop.wait(TICK):
            self._tick(TICK * self.scale / 60)

    def _tick(self, minutes: float) -> None:
        org, rng, now = self.org, self._rng, time.time()
        base = len(self._unresolved)
        todo = {}
        for name, rate in RATES.items():
            self._carry[name] += base * rate * minutes
            todo[name], self._carry[name] = divmod(self._carry[name], 1.0)
        with org.lock, self._lock:
            for issue_id in rng.sample(self._unresolved, min(int(todo["events"]), base)):
                self._events(issue_id, rng.randint(1, 3), now)
            for _ in range(int(todo["new"])):
                project = rng.choice([p for p in org.projects.values() if p.slug != PROBE])
                issue = org.create_issue(project, level=rng.choice(("error", "warning", "fatal")))
                self._changed(now, None, issue)
                self._events(issue.id, rng.randint(1, 5), now)
                self._unresolved.append(issue.id)
            for _ in range(int(todo["resolved"])):
                if self._unresolved:
                    issue = org.issues[self._unresolved.pop(rng.randrange(len(self._unresolved)))]
                    old = key(issue)
                    org.set_status(issue.id, "resolved", at=now)
                    self._changed(now, old, issue)
                    self._resolved.append(issue.id)
            for _ in range(int(todo["regressed"])):
                if self._resolved:
                    issue_id = self._resolved.pop(rng.randrange(len(self._resolved)))
                    self._regress(issue_id, now)
                    self._unresolved.append(issue_id)
            for _ in range(int(todo["reassigned"])):
                issue = org.issues[rng.choice(self._unresolved)]
                old = key(issue)
                if rng.random() < 0.5:
                    org.assign(issue.id, rng.choice(ASSIGNEES))
                else:
                    org.set_priority(issue.id, rng.choice(("high", "medium", "low")))
                self._changed(now, old, issue)

    def _events(self, issue_id: int, n: int, now: float) -> None:
        self.org.record_events(issue_id, n, at=now)
        self.events += n

    def _regress(self, issue_id: int, now: float) -> None:
        issue = self.org.issues[issue_id]
        self.org.set_status(issue_id, "unresolved", substatus="regressed", at=now)
        self._changed(now, None, issue)
        self._events(issue_id, 1, now)

    def _changed(self, now: float, old: tuple | None, issue: Issue) -> None:
        self.changes.append((now, old, key(issue)))

    # ---- probes: one change the bench times until /metrics shows it

    def probe(self, kind: str) -> dict:
        now = time.time()
        with self.org.lock, self._lock:
            if kind == "new":
                issue = self.org.create_issue(PROBE)
                self._changed(now, None, issue)
                self._events(issue.id, 1, now)
            elif kind in ("regression", "resolution") and self._probe_pool:
                # one the exporter knows is resolved; a regression brings it back at once
                issue_id = self._probe_pool.pop()
                issue = self.org.issues[issue_id]
                old = key(issue)
                self.org.set_status(issue_id, "resolved", at=now)
                self._changed(now, old, issue)
                if kind == "regression":
                    self._regress(issue_id, now)
            elif kind == "burst":
                self._events(self._burst.id, 50, now)
            else:
                raise ValueError(f"no probe {kind!r} left")
        return {"kind": kind, "at": now}

    # ---- the truth

    def truth(self, since: float) -> dict:
        org, now = self.org, time.time()
        with org.lock, self._lock:
            counts: dict[tuple, int] = {}
            aged = 0
            for issue in org.issues.values():
                k = key(issue)
                if k is None or issue.last_seen is None:
                    continue
                if issue.last_seen >= now - PERIOD:
                    counts[k] = counts.get(k, 0) + 1
                elif self.started and issue.last_seen >= self.started - PERIOD:
                    aged += 1
            changes = [[old, new] for when, old, new in self.changes if when >= since]
            resolved = sum(1 for _, old, new in self.changes if old is not None and new is None)
            return {"now": now, "counts": [[*k, n] for k, n in counts.items()], "changes": changes,
                    "events": self.events, "left": resolved + aged}


def control(live: LiveOrg, behaviour: Behaviour, path: str, params: dict) -> tuple[int, object]:
    """(status, JSON body) for a ``/_control/…`` request."""
    def first(name: str, default: str = "") -> str:
        return (params.get(name) or [default])[0]
    try:
        if path == "/_control/truth":
            return 200, live.truth(float(first("since", "0")))
        if path == "/_control/live":
            {"start": live.start, "stop": live.stop}[first("action")]()
            return 200, {"ok": True}
        if path == "/_control/probe":
            return 200, live.probe(first("kind"))
        if path == "/_control/switch":
            cut = first("listing_cut", "none")
            behaviour.listing_cut = None if cut == "none" else int(cut)
            return 200, {"listing_cut": behaviour.listing_cut}
    except (KeyError, ValueError) as e:
        return 400, {"detail": str(e)}
    return 404, {"detail": "no such control route"}
