"""Crons monitors with their check-ins, uptime monitors with their check results, and release deploys.

The rules follow ``getsentry/sentry`` ``src/sentry/monitors/models.py``:
- a monitor environment exists from its first check-in on (``ensure_environment``), so a monitor that
  never checked in lists ``environments: []``;
- an environment's status is ``active`` until a check-in arrives, then ``ok``; ``error`` while an incident
  is open, which ``failure_issue_threshold`` failed check-ins in a row open and ``recovery_threshold`` ok
  check-ins in a row close (``MonitorStatus``: ERROR is "an active incident");
- ``lastCheckIn`` is the latest user check-in: synthetic ``missed`` check-ins do not move it;
- a check-in's ``duration`` is in milliseconds.
Uptime follows ``src/sentry/uptime``: ``downtime_threshold`` failed checks in a row open an incident
(``incident_status`` 1 on each result from then on), ``recovery_threshold`` successes close it.
Schedules are crontabs ``*/n * * * *`` with ``n`` dividing 60, so the next slot is the next multiple of
``n`` minutes (the published schema types an interval schedule's ``[n, "minute"]`` as integers only,
so interval schedules are left out).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # model.py imports this module
    from .model import Assignee, Project

CHECKIN_STATUSES = ("ok", "error", "in_progress", "missed", "timeout", "unknown")
FAILED_CHECKINS = frozenset({"error", "missed", "timeout"})
UPTIME_CHECK_STATUSES = ("success", "failure", "missed_window")


def new_guid(seed: str) -> str:
    """Sentry's ids here are UUIDs; deterministic ones keep test answers reproducible."""
    return uuid.uuid5(uuid.NAMESPACE_URL, seed).hex


@dataclass(eq=False)
class CheckIn:
    id: str
    environment: str
    status: str
    date_added: float          # when the check-in was made (``dateCreated``/``dateAdded``)
    expected_time: float
    duration_ms: int | None = None
    date_updated: float | None = None
    date_in_progress: float | None = None


@dataclass(eq=False)
class MonitorEnvironment:
    name: str
    date_created: float
    status: str = "active"
    is_muted: bool = False
    last_checkin: float | None = None
    next_checkin: float | None = None
    next_checkin_latest: float | None = None
    incident_start: float | None = None
    failures_in_a_row: int = 0
    oks_in_a_row: int = 0


@dataclass(eq=False)
class Monitor:
    id: str
    internal_id: int
    slug: str
    name: str
    project: Project
    owner: Assignee | None
    interval_minutes: int
    date_created: float
    checkin_margin: int | None = 1
    max_runtime: int | None = 30
    failure_issue_threshold: int | None = 1
    recovery_threshold: int | None = 1
    disabled: bool = False
    environments: dict = field(default_factory=dict)   # name -> MonitorEnvironment
    checkins: list = field(default_factory=list)       # CheckIn, oldest first

    def __post_init__(self):
        if self.interval_minutes <= 0 or 60 % self.interval_minutes:
            raise ValueError("interval_minutes must divide 60 (a */n crontab)")

    @property
    def period(self) -> int:
        return self.interval_minutes * 60

    @property
    def is_muted(self) -> bool:
        """UNCERTAIN: the newest source moved muting to environments (migrations 0011-0013); a monitor
        reads as muted when all its environments are."""
        envs = list(self.environments.values())
        return bool(envs) and all(env.is_muted for env in envs)

    def config(self) -> dict:
        return {"schedule_type": "crontab", "schedule": f"*/{self.interval_minutes} * * * *",
                "checkin_margin": self.checkin_margin, "max_runtime": self.max_runtime, "timezone": "UTC",
                "failure_issue_threshold": self.failure_issue_threshold,
                "recovery_threshold": self.recovery_threshold, "alert_rule_id": None}

    def record(self, checkin: CheckIn) -> None:
        env = self.environments.get(checkin.environment)
        if env is None:
            env = self.environments[checkin.environment] = MonitorEnvironment(checkin.environment, self.date_created)
        self.checkins.append(checkin)
        if checkin.status != "missed":
            env.last_checkin = max(env.last_checkin or checkin.date_added, checkin.date_added)
        base = checkin.expected_time if checkin.status == "missed" else checkin.date_added
        env.next_checkin = (base // self.period) * self.period + self.period  # the next */n slot
        env.next_checkin_latest = env.next_checkin + 60 * (self.checkin_margin or 1)
        self._update_status(env, checkin)

    def finish(self, checkin: CheckIn, status: str, at: float, duration_ms: int | None) -> None:
        """An in_progress check-in closed with the same id (the SDK's second envelope, or the timeout task)."""
        checkin.status, checkin.date_updated = status, at
        checkin.duration_ms = duration_ms
        self._update_status(self.environments[checkin.environment], checkin)

    def _update_status(self, env: MonitorEnvironment, checkin: CheckIn) -> None:
        if checkin.status in ("in_progress", "unknown"):
            if env.status == "active":
                env.status = "ok"
            return
        if checkin.status in FAILED_CHECKINS:
            env.failures_in_a_row += 1
            env.oks_in_a_row = 0
            if env.incident_start is None and env.failures_in_a_row >= (self.failure_issue_threshold or 1):
                env.incident_start = checkin.date_added
        else:
            env.oks_in_a_row += 1
            env.failures_in_a_row = 0
            if env.incident_start is not None and env.oks_in_a_row >= (self.recovery_threshold or 1):
                env.incident_start = None
        env.status = "error" if env.incident_start is not None else "ok"


@dataclass(frozen=True)
class UptimeCheck:
    check_id: str
    timestamp: float
    scheduled: float
    status: str               # success | failure | missed_window
    duration_us: int
    http_status: int | None
    environment: str
    region: str
    incident_status: int      # 0 no incident, 1 in incident (uptime/types.py IncidentStatus)


@dataclass(eq=False)
class UptimeMonitor:
    """An uptime detector (workflow_engine ``Detector`` of type ``uptime_domain_failure``) with the
    ``UptimeSubscription`` it reads from."""
    id: int
    name: str
    project: Project
    owner: Assignee | None
    url: str
    environment: str
    date_created: float
    subscription_id: str      # what uptime_results rows carry as ``subscription_id``
    source_id: int            # the UptimeSubscription's id: the detector's dataSources[].sourceId
    interval_seconds: int = 60
    timeout_ms: int = 5000
    method: str = "GET"
    downtime_threshold: int = 3
    recovery_threshold: int = 1
    enabled: bool = True
    checks: list = field(default_factory=list)   # UptimeCheck, oldest first
    incident_since: float | None = None
    incidents: int = 0
    failures_in_a_row: int = 0
    successes_in_a_row: int = 0

    @property
    def is_down(self) -> bool:
        return self.incident_since is not None

    def record(self, at: float, status: str, duration_us: int, http_status: int | None, region: str) -> UptimeCheck:
        if status == "failure":
            self.failures_in_a_row += 1
            self.successes_in_a_row = 0
            if self.incident_since is None and self.failures_in_a_row >= self.downtime_threshold:
                self.incident_since = at
                self.incidents += 1
        elif status == "success":
            self.successes_in_a_row += 1
            self.failures_in_a_row = 0
            if self.incident_since is not None and self.successes_in_a_row >= self.recovery_threshold:
                self.incident_since = None
        check = UptimeCheck(new_guid(f"uptime:{self.id}:{at}"), at, (at // self.interval_seconds) * self.interval_seconds,
                            status, int(duration_us), http_status, self.environment, region,
                            1 if self.incident_since is not None else 0)
        self.checks.append(check)
        return check


@dataclass(frozen=True)
class Deploy:
    id: str
    environment: str
    date_finished: float
    date_started: float | None = None
    name: str | None = None
    url: str | None = None
