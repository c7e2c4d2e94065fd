"""Every poller, after it has worked: a fault, a refusal and a restart (issue 21).

- A fault (a 500) or a refusal (a 403, 404 or 400, or Discover's bare 404) after a success is a failure: the last
  values stay as they were, sentry_up goes to 0, the poller is not called unsupported, and the next
  good run brings sentry_up back. A refusal before any success is pollers.Unsupported (test_monitors,
  test_plans_and_versions); after one it must not make the data vanish.
- A restart comes back to the same values: a second exporter, started on the same org, shows what the
  first one shows, and after new activity both count it once.
"""

from __future__ import annotations

import pytest
from inprocess import run, sample

from sentry_exporter.app import Exporter
from sentry_exporter.sentry.client import SentryClient
from sentry_simulator import build_org
from sentry_simulator.generate import team
from tools import TOKEN

ENVIRONMENTS = ("production", "staging")
EVERY_POLLER = {"releases_per_project": 3, "monitors_interval": 60.0, "uptime_interval": 60.0,
                "uptime_results_interval": 60.0, "impact_tags": ("workspace_id",),
                "reconcile_interval": 0}
WITH_ENVIRONMENTS = {**EVERY_POLLER, "environments": ENVIRONMENTS}
# (poller, the simulator's endpoint to break, settings): "environment events" is the issues poller's
# Discover counters, there with SENTRY_ENVIRONMENTS only.
CASES = {"issues": ("issues", "issues", EVERY_POLLER), "stats": ("stats", "stats_v2", EVERY_POLLER),
         "releases": ("releases", "releases", EVERY_POLLER), "impact": ("impact", "events", EVERY_POLLER),
         "monitors": ("monitors", "monitors", EVERY_POLLER), "uptime": ("uptime", "detectors", EVERY_POLLER),
         "uptime_results": ("uptime_results", "uptime_results", EVERY_POLLER),
         "environment events": ("issues", "events", WITH_ENVIRONMENTS)}
# GlitchTip (issue 22): no Discover, so no impact; its monitors serve the monitors and uptime pollers, their
# checks the uptime results. Its per-environment events (issue tags) are asked only for issues that grew.
GLITCHTIP_POLLERS = {k: v for k, v in EVERY_POLLER.items() if k != "impact_tags"}
GLITCHTIP_CASES = {"issues": ("issues", "issues", GLITCHTIP_POLLERS),
                   "stats": ("stats", "stats_v2", GLITCHTIP_POLLERS),
                   "releases": ("releases", "releases", GLITCHTIP_POLLERS),
                   "monitors": ("monitors", "monitors", GLITCHTIP_POLLERS),
                   "uptime": ("uptime", "monitors", GLITCHTIP_POLLERS),
                   "uptime_results": ("uptime_results", "monitor_checks", GLITCHTIP_POLLERS)}


@pytest.fixture
def org(clock):
    org = build_org(slug="acme", projects=3, unresolved=80, seed=3, now=clock(), environments=ENVIRONMENTS)
    project = next(iter(org.projects.values())).slug
    org.add_monitor("export", project, interval_minutes=5, owner=team("team-b"), created=clock() - 86400)
    for slot in range(3):
        org.record_checkin("export", "ok", at=clock() - 900 + slot * 300, duration_ms=2000 + slot)
    uptime = org.add_uptime_monitor("health", project, "https://example.com/health", downtime_threshold=2)
    for index in range(5):
        org.record_uptime_check(uptime.id, "success", at=clock() - 600 + index * 60)
    return org


def own_families(e) -> set[str]:
    """The exporter's families about itself (sentry_up, polls, API calls): present before any poll; and
    when the issues were last listed in full, which a good run moves on."""
    return {f.name for f in e.registry.collect()} | {"sentry_issues_reconciled_timestamp_seconds"}


def data(e, own: set[str]) -> dict:
    """Every sample of Sentry's data the exporter serves now."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in e.registry.collect() if f.name not in own for s in f.samples}


def poll_all(e) -> None:
    for job in e.jobs:
        assert e.run_poller(job.poller), f"the {job.poller.name} poll failed"


def poller_of(e, name: str):
    return next(job.poller for job in e.jobs if job.poller.name == name)


# An outage, the refusals that mean "unsupported" before a first success (pollers.unsupported_endpoint),
# and, where Discover is the source, the bare 404 of a plan without it (§0.10).
FAULTS = [("sentry", case, fault) for case in CASES for fault in ("500", "403", "404", "400")
          + (("bare 404",) if CASES[case][1] == "events" else ())] \
    + [("glitchtip", case, fault) for case in GLITCHTIP_CASES for fault in ("500", "403", "404", "400")]


@pytest.mark.parametrize("flavor, case, fault", FAULTS)
def test_a_fault_after_success_keeps_the_last_values_and_takes_sentry_up_down(exporter, behaviour, clock, flavor,
                                                                             case, fault):
    poller, endpoint, settings = (CASES if flavor == "sentry" else GLITCHTIP_CASES)[case]
    e = exporter(**settings)
    own = own_families(e)
    poll_all(e)
    clock.advance(30)
    poll_all(e)  # every source has answered a request now (the first Discover window can be empty)
    before = data(e, own)
    assert before and sample(e, "sentry_up") == 1
    if fault == "bare 404":
        behaviour.discover = False
    else:
        exporter.server.faults.set(endpoint=endpoint, status=int(fault))
    for _ in range(2):  # a minute of it
        clock.advance(30)
        assert not e.run_poller(poller_of(e, poller))
        assert data(e, own) == before, "the last values stay"
        assert sample(e, "sentry_up") == 0
        assert sample(e, "sentry_poll_success", poller=poller) == 0
        assert not [s for f in e.registry.collect() if f.name == "sentry_poll_unsupported" for s in f.samples]
    exporter.server.faults.clear()
    behaviour.discover = True
    clock.advance(30)
    run(e, poller)
    assert sample(e, "sentry_up") == 1
    assert data(e, own).keys() == before.keys()  # values may move on: crash-free rates are over the last 24 h


ACTIVITY = {
    "issues": lambda org, clock: org.record_events(next(iter(org.issues.values())).id, 3, at=clock() - 5),
    "environment events": lambda org, clock: org.record_events(next(iter(org.issues.values())).id, 3,
                                                              at=clock() - 5, environment="staging"),
    "releases": lambda org, clock: org.create_deploy(org.releases[-1].version, "staging", finished=clock() - 10),
    "monitors": lambda org, clock: org.record_checkin("export", "error", at=clock() - 10, duration_ms=5),
    "uptime_results": lambda org, clock: org.record_uptime_check(next(iter(org.uptime_monitors)), "failure",
                                                                at=clock() - 30, http_status=503),
}


COUNTED = ("sentry_issue_events_total", "sentry_monitor_checkins_total", "sentry_uptime_checks_total")


def added(before: dict, after: dict, name: str) -> float:
    return sum(v for (n, _), v in after.items() if n == name) - sum(v for (n, _), v in before.items() if n == name)


@pytest.mark.parametrize("flavor", ["sentry", "glitchtip"])
@pytest.mark.parametrize("settings", [EVERY_POLLER, WITH_ENVIRONMENTS], ids=["default", "environments"])
def test_a_restart_comes_back_to_the_same_values_and_counts_nothing_twice(exporter, org, clock, settings, flavor):
    if flavor == "glitchtip":  # no Discover there: impact is unsupported (test_flavors)
        settings = {k: v for k, v in settings.items() if k != "impact_tags"}
    first = exporter(**settings)
    own = own_families(first)
    poll_all(first)
    # A restart: a new process against the same Sentry (the same simulator: permalinks carry its URL).
    client = SentryClient(exporter.server.url, TOKEN, requests_per_second=1000, max_attempts=1)
    second = Exporter(first.config, client=client, clock=clock)
    poll_all(second)
    before = data(first, own)
    assert data(second, own) == before
    clock.advance(30)  # the activity comes after both started
    for case, act in ACTIVITY.items():
        if case != "environment events" or "environments" in settings:
            act(org, clock)
    clock.advance(60)
    poll_all(first)
    poll_all(second)
    after = data(first, own)
    assert data(second, own) == after, "each counts the activity once"
    grown = {name: added(before, after, name) for name in COUNTED}
    events = 3 + 3 * ("environments" in settings)  # with them, the staging events too
    assert grown == {"sentry_issue_events_total": events, "sentry_monitor_checkins_total": 1,
                     "sentry_uptime_checks_total": 1}, "the activity, once"
    if flavor == "sentry":  # GlitchTip's deploys are "Not implemented" (apps/releases/api.py)
        assert after.keys() - before.keys(), "the deploy shows"
    client.close()
