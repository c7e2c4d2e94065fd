"""Wires the parts together: client, pollers, snapshot, scheduler and HTTP server."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from dataclasses import dataclass
from typing import Callable, Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import generate_latest

from .collector import OrgRegistry, SentryCollector
from .config import Config
from .directory import ProjectDirectory
from .pollers import Unsupported
from .pollers.impact import ImpactPoller
from .pollers.issues import IssuesPoller
from .pollers.monitors import MonitorsPoller
from .pollers.releases import ReleasesPoller
from .pollers.stats import StatsPoller
from .pollers.uptime import UptimePoller
from .pollers.uptime_results import UptimeResultsPoller
from .sentry.client import SentryClient
from .sentry.errors import AuthError, ContractError, SentryError
from .sentry.flavor import ServerKind
from .server import Access, make_handler, serve
from .snapshot import SnapshotStore
from .telemetry import tracing

log = logging.getLogger(__name__)


class Poller(Protocol):
    name: str  # also the snapshot.Results field its result goes to

    def poll(self) -> object: ...


@dataclass
class Scheduled:
    poller: Poller
    interval: float


class Exporter:
    def __init__(self, config: Config, client: SentryClient | None = None, clock: Callable[[], float] = time.time):
        """`client` and `clock` default to the real ones; tests pass their own timing."""
        self.config, self._clock = config, clock
        self.client = client or SentryClient(config.sentry_url, config.token, timeout=config.timeout,
                                             requests_per_second=config.max_requests_per_second,
                                             ca_bundle=config.ca_bundle)
        directory = ProjectDirectory(self.client, config.org, config.projects, config.projects_refresh, clock)
        filtered = bool(config.projects)
        self.kind = kind = ServerKind(self.client, config.flavor)  # Sentry or GlitchTip: asked at the first poll
        self.issues = IssuesPoller(self.client, config, directory, kind, clock)
        self.issues.publish = lambda result: self.store.publish("issues", result)
        self.jobs = [
            Scheduled(self.issues, config.poll_interval),
            Scheduled(StatsPoller(self.client, config.org, directory, config.billing_day, filtered, kind, clock),
                      config.stats_interval),
        ]
        if config.releases_per_project:
            self.jobs.append(Scheduled(ReleasesPoller(self.client, config.org, directory,
                                                      config.releases_per_project, filtered, kind,
                                                      config.deploy_calls),
                                       config.releases_interval))
        project_ids = (lambda: [p.id for p in directory.get()]) if filtered else (lambda: list(kind.get().every_project))
        if config.monitors_interval:
            self.jobs.append(Scheduled(MonitorsPoller(self.client, config.org, project_ids,
                                                      config.monitors_checkin_calls, clock, directory, kind),
                                       config.monitors_interval))
        if config.uptime_interval:
            self.jobs.append(Scheduled(UptimePoller(self.client, config.org, directory, project_ids, kind),
                                       config.uptime_interval))
        if config.uptime_results_interval:
            self.jobs.append(Scheduled(UptimeResultsPoller(self.client, config.org, project_ids, clock, directory,
                                                           kind),
                                       config.uptime_results_interval))
        if config.impact_tags:
            self.jobs.append(Scheduled(ImpactPoller(self.client, config.org, directory, filtered, config.impact_tags,
                                                    config.label_tags, config.impact_thresholds,
                                                    config.max_issue_series, kind),
                                       config.impact_interval))
        self.store = SnapshotStore(tuple(job.poller.name for job in self.jobs))
        self.registry = OrgRegistry(config.org)
        self.registry.register(SentryCollector(self.store, self.client.stats, self.client.pacer.windows, config, kind))
        self._refused: dict[str, tuple[int | None, str]] = {}  # poller -> the token refusal said, until it works
        self._intervals = {job.poller.name: job.interval for job in self.jobs}
        self._said: set[object] = set()  # once-keys of ContractErrors and Unsupported reasons already logged

    def _once(self, key: object) -> bool:
        """True the first time `key` comes: a fault that repeats every poll is said once."""
        first = key not in self._said
        self._said.add(key)
        return first

    def run_poller(self, poller: Poller) -> bool:
        """One run; waits between retries fit in the poller's interval, so an overrun never delays the next."""
        started, t0 = self._clock(), time.monotonic()
        with tracing.span(f"poll {poller.name}", poller=poller.name, org=self.config.org) as span:
            try:
                with self.client.deadline(self._intervals.get(poller.name, self.config.poll_interval)):
                    result = poller.poll()
            except Unsupported as e:
                span.set("poll.unsupported", e.reason)
                if self.store.record_unsupported(poller.name, e.reason, time.monotonic() - t0, started,
                                                 trace_id=span.trace_id):
                    if self._once((poller.name, e.reason)):
                        log.warning("poller unsupported by this Sentry, the others go on: %s", e,
                                    extra={"poller": poller.name, "reason": e.reason})
                else:  # it worked before: a refusal now is a failure, its last values kept
                    span.fail()
                    log.warning("poll failed: %s (it worked before; the last values are kept)", e,
                                extra={"poller": poller.name, "reason": e.reason})
                return False
            except AuthError as e:
                span.fail()
                # Said once per poller and cause, clearly; repeating it every poll helps nobody. Another
                # poller's success (releases accept an org token) says nothing about this one's token.
                if self._refused.get(poller.name) != (e.status, e.detail):
                    log.error(str(e), extra={"poller": poller.name})
                    self._refused[poller.name] = (e.status, e.detail)
                ok, result = False, None
            except ContractError as e:
                span.fail()
                if self._once(e.once_key):  # the same request will be refused the same way every poll
                    log.warning("poll failed: %s", e, extra={"poller": poller.name})
                ok, result = False, None
            except SentryError as e:
                span.fail()
                log.warning("poll failed: %s", e, extra={"poller": poller.name})
                ok, result = False, None
            except Exception:  # a bug in one poller must not stop the others or the server
                span.fail()
                log.exception("poll crashed", extra={"poller": poller.name})
                ok, result = False, None
            else:
                ok = True
                self._refused.pop(poller.name, None)  # a later refusal of this poller is news again
            duration = time.monotonic() - t0
            span.set("poll.duration_seconds", duration)
            self.store.record(poller.name, ok, duration, started, result, trace_id=span.trace_id)
            if ok:
                log.info("poll done", extra={"poller": poller.name, "duration_seconds": round(duration, 3)})
        return ok

    def run_reconciliation(self) -> bool:
        """The issues' full listing, as its own job beside the incremental passes; what it merged shows
        when it is done, and its age in sentry_issues_reconciled_timestamp_seconds."""
        with tracing.span("reconcile issues", poller="issues", org=self.config.org) as span:
            try:
                self.issues.reconcile_and_show()
            except SentryError as e:
                span.fail()
                log.warning("issue reconciliation failed: %s", e, extra={"poller": "issues"})
                return False
            except Exception:
                span.fail()
                log.exception("issue reconciliation crashed", extra={"poller": "issues"})
                return False
        return True

    def reconcile_when_due(self) -> bool:
        """The scheduled job: a full listing too dear for every poll, when its period has passed."""
        return self.run_reconciliation() if self.issues.reconcile_due() else True

    def poll_once(self) -> bool:
        """Every poller once; True when all that this Sentry can serve succeeded, as sentry_up says."""
        for job in self.jobs:
            self.run_poller(job.poller)
        return self.store.current().up()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def start(self) -> None:
        """Serve HTTP at once (data arrives as polls finish) and schedule every poller."""
        access = Access(self.config.basic_auth_user, self.config.basic_auth_password, self.config.bearer_token)
        self.server = serve(self.config.host, self.config.port, make_handler(self.registry, self.store.ready, access))
        host, port = self.server.server_address[:2]
        log.info("listening", extra={"address": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                                     "sentry_url": self.config.sentry_url, "org": self.config.org})
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
            # one run at a time per poller; a run that overruns its interval delays the next, never piles up
            "max_instances": 1, "coalesce": True, "misfire_grace_time": None})
        for job in self.jobs:
            self.scheduler.add_job(self.run_poller, "interval", args=[job.poller], seconds=job.interval,
                                   next_run_time=datetime.now(timezone.utc), id=job.poller.name, name=job.poller.name)
        if self.config.reconcile_interval:  # the first issues poll is the first reconciliation
            # The listing's cost sets its period (IssuesPoller.reconcile_period); checked four times a poll
            # interval, so a period of 1.2 intervals is not rounded up to 2.
            interval = self.config.poll_interval / 4
            self.scheduler.add_job(self.reconcile_when_due, "interval", seconds=interval, id="reconcile",
                                   name="reconcile", next_run_time=datetime.now(timezone.utc) + timedelta(seconds=interval))
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.server.shutdown()
        self.client.close()
