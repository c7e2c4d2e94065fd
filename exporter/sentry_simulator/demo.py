"""A lively demo org: ``build_demo_org`` seeds it, ``DemoDriver`` keeps it moving in real time.

Every story a dashboard or alert should show happens here: steady traffic, a spike in one project every
few minutes, new issues, regressions, escalations, issues being resolved, an hour of rate-limited and
filtered events (in the seeded history and again every six hours), a bad release, connector issues that hit many workspaces (GA > 2, Beta > 5), and cron and uptime monitors
that miss, fail and go down (demo_monitoring.py).
"""

from __future__ import annotations

import random
import threading
import time

from .demo_monitoring import add_demo_monitoring, advance_monitoring, prune_monitoring
from .generate import build_org, team
from .model import Issue, Org
from .timeutil import HOUR

DEMO_PROJECTS = ("web-frontend", "api-backend", "connectors", "billing", "mobile-app")
BAD_RELEASE = "mobile-app@2.0.0"


def build_demo_org(now: float | None = None, seed: int = 42) -> Org:
    now = time.time() if now is None else float(now)
    org = build_org(slug="demo", projects=len(DEMO_PROJECTS), unresolved=320, resolved=40, ignored=15,
                    environments=("production", "staging"), seed=seed, now=now)
    rng = random.Random(seed + 1)
    connectors = org.project("connectors")
    ga = org.create_issue(connectors, level="error", title="SyncError: destination rejected batch (GA connector)",
                          culprit="connectors/destinations/warehouse.py in flush", priority="high",
                          assignee=team("team-c"), created=now - 5 * HOUR, exc_type="SyncError")
    for index, ws in enumerate(("ws-101", "ws-102", "ws-103", "ws-104")):
        org.record_events(ga.id, 12 + index, at=now - (4 - index) * HOUR, environment="production", users=3,
                          tags={"release_stage": "GA", "workspace_id": ws, "tenant_id": f"tenant-{index}",
                                "failure_origin": "destination"})
    beta = org.create_issue(connectors, level="error", title="SchemaError: unexpected column type (Beta connector)",
                            culprit="connectors/sources/crm.py in read", priority="medium", created=now - 20 * HOUR,
                            exc_type="SchemaError")
    for index in range(7):
        org.record_events(beta.id, 3 + index, at=now - (19 - 2 * index) * HOUR, environment="production", users=2,
                          tags={"release_stage": "Beta", "workspace_id": f"ws-2{index:02d}",
                                "tenant_id": f"tenant-{index + 4}", "failure_origin": "source"})
    mobile = org.project("mobile-app")
    org.create_release(BAD_RELEASE, [mobile], created=now - 6 * HOUR, released=now - 6 * HOUR, new_groups=7)
    for hour in range(6):
        for env in ("production", "staging"):
            total = rng.randrange(300, 500)
            crashed = total // 7  # ~86% crash-free: the release to roll back
            org.record_sessions(mobile.id, BAD_RELEASE, env, now - (hour + 1) * HOUR, healthy=total - crashed,
                                crashed=crashed, users=total // 3, crashed_users=total // 12)
    api = org.project("api-backend")
    storm = int(now // HOUR) * HOUR - 5 * HOUR  # an hour of quota trouble, five hours ago
    for minute in range(0, 60, 5):
        org.record_outcome(api.id, "error", "rate_limited", rng.randrange(800, 1500), at=storm + minute * 60,
                           reason="key_quota")
        org.record_outcome(api.id, "error", "filtered", rng.randrange(200, 400), at=storm + minute * 60,
                           reason="error-message")
    web = org.project("web-frontend")
    for hour in range(1, 30, 3):  # oversized envelopes now and then
        org.record_outcome(web.id, "error", "invalid", rng.randrange(5, 40), at=now - hour * HOUR, reason="too_large")
    add_demo_monitoring(org, now)
    return org


class DemoDriver:
    """Mutates ``org`` every ``tick_seconds`` from a daemon thread. ``step()`` runs one tick (tests call it)."""

    def __init__(self, org: Org, clock=time.time, seed: int = 7, tick_seconds: float = 5.0,
                 spike_every: float = 240.0, spike_seconds: float = 60.0, storm_every: float = 6 * HOUR,
                 server=None, throttle_every: float = 1800.0):
        self.org, self.clock, self.tick_seconds = org, clock, tick_seconds
        # Another client of the same token (Grafana's Sentry datasource, say) now and then uses up a
        # rate-limit window, so the exporter meets a real 429 and the API health panels have one to show.
        self.server, self.throttle_every = server, throttle_every
        self.rng = random.Random(seed)
        self.spike_every, self.spike_seconds = spike_every, spike_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: dict[str, float] = {}
        self._spike_project = None
        self._spike_until = 0.0
        self.storm_every = storm_every
        self._storm_until = 0.0
        self.log: list[tuple[float, str, str]] = []  # (time, what, detail): what the driver did, for tests/demo

    def start(self) -> "DemoDriver":
        self._throttle()
        self._thread = threading.Thread(target=self._run, name="sentry-demo-driver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            self.step()

    def _due(self, name: str, every: float, now: float) -> bool:
        last = self._last.get(name)
        if last is None:
            self._last[name] = now  # first tick only arms the timers
            return False
        if now - last >= every:
            self._last[name] = now
            return True
        return False

    def step(self) -> None:
        now = self.clock()
        org, rng = self.org, self.rng
        with org.lock:
            unresolved = [i for i in org.issues.values() if i.status == "unresolved" and i.batches]
            resolved = [i for i in org.issues.values() if i.status == "resolved" and i.batches]
            if self._due("spike", self.spike_every, now):
                self._spike_project = rng.choice(list(org.projects.values()))
                self._spike_until = now + self.spike_seconds
                self.log.append((now, "spike", self._spike_project.slug))
            if self._due("storm", self.storm_every, now):
                self._storm_until = now + HOUR
                self.log.append((now, "storm", "api-backend"))
            self._traffic(now, unresolved)
            if self._due("new", 90, now):
                self._new_issue(now)
            if self._due("resolve", 75, now) and unresolved:
                victim = rng.choice(unresolved)
                org.set_status(victim.id, "resolved", at=now)
                self.log.append((now, "resolved", victim.short_id))
            if self._due("regress", 300, now) and resolved:
                issue = rng.choice(resolved)
                org.set_status(issue.id, "unresolved", substatus="regressed", at=now)
                self._events(issue, now, rng.randrange(5, 30))
                self.log.append((now, "regressed", issue.short_id))
            if self._due("escalate", 240, now) and unresolved:
                issue = rng.choice(unresolved)
                org.set_status(issue.id, "unresolved", substatus="escalating", at=now)
                self._events(issue, now, rng.randrange(200, 600))
                self.log.append((now, "escalating", issue.short_id))
            if self._due("throttle", self.throttle_every, now):
                self._throttle()
            if self._due("sessions", 60, now):
                self._sessions(now)
            advance_monitoring(org, now)
            if self._due("compact", HOUR, now):
                org.compact(now - 25 * HOUR)  # the 24h panels stay exact; older history by the hour
                prune_monitoring(org, now - 7 * 86400)

    def _throttle(self) -> None:
        if self.server is not None:
            self.server.faults.set(status=429, count=1, endpoint="issues")
            self.log.append((self.clock(), "throttle", "issues"))

    def _traffic(self, now: float, unresolved: list) -> None:
        rng, org = self.rng, self.org
        picked = rng.sample(unresolved, min(len(unresolved), 8))
        per_project: dict = {}
        for issue in picked:
            n = rng.randrange(1, 12)
            if self._spike_project is issue.project and now < self._spike_until:
                n *= 25
            self._events(issue, now, n)
            per_project[issue.project.id] = per_project.get(issue.project.id, 0) + n
        for project in org.projects.values():
            accepted = per_project.get(project.id, 0)
            if accepted:
                org.record_outcome(project.id, "error", "accepted", accepted, at=now)
            org.record_outcome(project.id, "transaction", "accepted", rng.randrange(20, 80), at=now)
            if rng.random() < 0.2:
                org.record_outcome(project.id, "error", "filtered", rng.randrange(1, 10), at=now,
                                   reason="browser-extensions")
        if now < self._storm_until:  # an hour of quota trouble: most of api-backend's errors are dropped
            api = org.project("api-backend")
            org.record_outcome(api.id, "error", "rate_limited", rng.randrange(50, 120), at=now, reason="key_quota")
            org.record_outcome(api.id, "error", "filtered", rng.randrange(10, 40), at=now, reason="error-message")

    def _events(self, issue: Issue, now: float, n: int) -> None:
        """More events like the issue's last ones (same tags), mostly in production."""
        _ts, _env, _n, _users, tags = issue.batches[-1]
        env = "production" if self.rng.random() < 0.75 else "staging"
        self.org.record_events(issue.id, n, at=now, environment=env, users=max(1, n // 3), tags=dict(tags))

    def _new_issue(self, now: float) -> None:
        rng, org = self.rng, self.org
        project = rng.choice(list(org.projects.values()))
        exc = rng.choice(("KeyError", "TimeoutError", "ValueError", "ConnectionError"))
        issue = org.create_issue(project, level=rng.choice(("error", "error", "warning", "fatal")),
                                 title=f"{exc}: fresh failure #{len(org.issues)}", priority=rng.choice(("high", "medium")),
                                 created=now, exc_type=exc)
        org.record_events(issue.id, rng.randrange(1, 20), at=now, users=1,
                          tags={"release_stage": rng.choice(("GA", "Beta")), "workspace_id": f"ws-{rng.randrange(40)}",
                                "failure_origin": rng.choice(("source", "destination"))})
        self.log.append((now, "new", issue.short_id))

    def _sessions(self, now: float) -> None:
        """One more minute's worth of sessions for each project's newest release (the bad one crashes a lot)."""
        rng, org = self.rng, self.org
        newest: dict = {}
        for release in org.releases:
            for pid in release.project_ids:
                if pid not in newest or release.date_created > newest[pid].date_created:
                    newest[pid] = release
        for pid, release in newest.items():
            total = rng.randrange(5, 15)
            crashed = total // 6 if release.version == BAD_RELEASE else int(rng.random() < 0.05)
            org.record_sessions(pid, release.version, "production", now, healthy=total - crashed, crashed=crashed,
                                users=total, crashed_users=crashed)

