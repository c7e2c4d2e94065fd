"""The demo org's cron monitors, uptime monitors and deploys, and the schedule that keeps them moving.

Every outcome is a function of the slot's time, so the seeded history and the live driver agree and a
test can say what a slot gives: ``billing-export`` misses every sixth run, ``connectors-sync`` fails two
runs in four (and times out now and then), ``sessions-cleanup`` is healthy in both environments,
``sitemap-build`` never checked in. The API health check fails five minutes in every thirty (down after
three failures in a row); the website stays up.
"""

from __future__ import annotations

from .generate import team
from .model import Org
from .timeutil import HOUR

MISSING_MONITOR = "billing-export"
FAILING_MONITOR = "connectors-sync"
HEALTHY_MONITOR = "sessions-cleanup"
SILENT_MONITOR = "sitemap-build"
FLAKY_UPTIME = "API health"
SEED_HOURS = 2


def add_demo_monitoring(org: Org, now: float) -> None:
    org.add_monitor(MISSING_MONITOR, "billing", interval_minutes=5, owner=team("team-d"), created=now - 30 * 86400,
                    name="Billing nightly export")
    org.add_monitor(FAILING_MONITOR, "connectors", interval_minutes=5, owner=team("team-c"), created=now - 30 * 86400,
                    failure_issue_threshold=2, max_runtime=4, name="Connectors sync")
    org.add_monitor(HEALTHY_MONITOR, "api-backend", interval_minutes=2, owner=team("team-b"),
                    created=now - 30 * 86400, name="Sessions cleanup")
    org.add_monitor(SILENT_MONITOR, "web-frontend", interval_minutes=15, created=now - HOUR, name="Sitemap build")
    org.add_uptime_monitor(FLAKY_UPTIME, "api-backend", "https://api.demo.example.com/health", owner=team("team-b"),
                           created=now - 30 * 86400)
    org.add_uptime_monitor("Website", "web-frontend", "https://www.demo.example.com/", created=now - 30 * 86400)
    start = now - SEED_HOURS * HOUR
    for monitor in org.monitors.values():
        if monitor.slug == SILENT_MONITOR:
            continue
        for env in environments_of(monitor.slug):
            org.record_checkin(monitor.slug, "ok", at=(start // monitor.period) * monitor.period, environment=env,
                               duration_ms=_duration(monitor.slug, start))
    for uptime in org.uptime_monitors.values():
        org.record_uptime_check(uptime.id, "success", at=start, duration_us=_uptime_duration(start))
    advance_monitoring(org, now)
    for release in org.releases:  # each release went out to staging, then production
        org.create_deploy(release.version, "staging", finished=release.date_created + 600,
                          started=release.date_created + 300)
        org.create_deploy(release.version, "production", finished=release.date_created + 1800,
                          started=release.date_created + 1500, name=f"deploy {release.version}")


def environments_of(slug: str) -> tuple:
    return ("production", "staging") if slug == HEALTHY_MONITOR else ("production",)


def advance_monitoring(org: Org, now: float) -> int:
    """Every slot due by ``now``: a check-in for each monitor environment, a check for each uptime
    monitor. Returns how many were recorded."""
    recorded = 0
    with org.lock:
        for monitor in org.monitors.values():
            for env in monitor.environments.values():
                while env.next_checkin is not None and env.next_checkin <= now:
                    slot = env.next_checkin
                    status = checkin_status(monitor.slug, slot, monitor.period)
                    if status == "missed":  # the clock task marks it once the margin has passed
                        if env.next_checkin_latest > now:
                            break
                        org.record_checkin(monitor.slug, "missed", at=slot, environment=env.name, expected=slot)
                    else:
                        org.record_checkin(monitor.slug, status, at=slot + 7, environment=env.name,
                                           duration_ms=_duration(monitor.slug, slot), expected=slot)
                    recorded += 1
        for uptime in org.uptime_monitors.values():
            at = uptime.checks[-1].timestamp + uptime.interval_seconds
            while at <= now:
                status = uptime_status(uptime.name, at)
                org.record_uptime_check(uptime.id, status, at=at, duration_us=_uptime_duration(at),
                                        http_status=503 if status == "failure" else 200)
                recorded += 1
                at += uptime.interval_seconds
    return recorded


def prune_monitoring(org: Org, before: float) -> None:
    """Drops check-ins and check results older than ``before``: keeps a long-running demo small."""
    with org.lock:
        for monitor in org.monitors.values():
            monitor.checkins = [c for c in monitor.checkins if c.date_added >= before]
        for uptime in org.uptime_monitors.values():
            uptime.checks = [c for c in uptime.checks if c.timestamp >= before] or uptime.checks[-1:]  # the driver resumes from the last


def checkin_status(slug: str, slot: float, period: int) -> str:
    index = int(slot // period)
    if slug == MISSING_MONITOR:
        return "missed" if index % 6 == 5 else "ok"
    if slug == FAILING_MONITOR:
        if index % 8 == 3:
            return "timeout"
        return "error" if index % 4 in (1, 2) else "ok"
    return "ok"


def uptime_status(name: str, at: float) -> str:
    return "failure" if name == FLAKY_UPTIME and int(at // 60) % 30 in range(20, 25) else "success"


def _duration(slug: str, slot: float) -> int:
    base = {FAILING_MONITOR: 180_000, MISSING_MONITOR: 45_000}.get(slug, 2_000)
    return base + int(slot // 60) % 17 * 250


def _uptime_duration(at: float) -> int:
    return 80_000 + int(at // 60) % 13 * 9_000
