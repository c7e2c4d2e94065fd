"""Sentry or GlitchTip (issue 22): the kind is detected once, or forced; against a GlitchTip the pollers
read what it serves, say what it cannot, and export no value it does not have.

The GlitchTip facts are the simulator's GlitchTip flavour's (sentry_simulator/glitchtip/), each cited
there by its path in true-og/glitchtip-backend; the tests of behaviour both servers share run against
both in the other files (inprocess.BOTH_FLAVORS).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from inprocess import BOTH_FLAVORS, run, sample

from sentry_exporter.app import Exporter
from sentry_exporter.config import Config
from sentry_exporter.sentry.client import SentryClient
from sentry_simulator import Org, SimulatorServer
from tools import TOKEN

HOUR = 3600.0
ENVIRONMENTS = ("production", "staging")


@pytest.fixture
def org(clock) -> Org:
    """Two projects, three levels, two environments, a quiet issue, a release, a heartbeat and an uptime
    monitor."""
    now = clock()
    org = Org(slug="acme", created=1_700_000_000.0, environments=ENVIRONMENTS)
    org.add_project("api", project_id="1")
    org.add_project("web", project_id="2")
    for n, (project, level, environments) in enumerate([
            ("api", "error", ("production", "staging")), ("api", "error", ("production",)),
            ("api", "warning", ("staging",)), ("web", "fatal", ("production", "staging")),
            ("web", "error", ("production",))]):
        issue = org.create_issue(project, level=level)
        for environment in environments:
            org.record_events(issue.id, 2 + n, at=now - HOUR - 60 * n, environment=environment)
    quiet = org.create_issue("api", level="error")  # unresolved, but no event in the 14d window
    org.record_events(quiet.id, 9, at=now - 20 * 86400, environment="production")
    for project_id, category, quantity in (("1", "error", 7), ("2", "error", 4), ("1", "transaction", 11)):
        org.record_outcome(project_id, category, "accepted", quantity, at=now - 2 * HOUR)
    org.create_release("api@1.0.0", ["api"], created=now - 7200)
    org.add_monitor("nightly", "api", interval_minutes=5, created=now - 86400)
    org.record_checkin("nightly", "ok", at=now - 400, duration_ms=10)
    uptime = org.add_uptime_monitor("API health", "api", "https://api.example.com/health")
    org.record_uptime_check(uptime.id, "success", at=now - 300)
    return org


def said(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


@BOTH_FLAVORS
def test_the_kind_is_detected_once_said_once_and_exported(exporter, simulators, flavor, caplog):
    with caplog.at_level(logging.INFO):
        e = _detecting(exporter, flavor)
        run(e, "issues")
        run(e, "stats")
    probes = [r for r in simulators[0].log.snapshot() if r.path == "/api/settings/"]
    assert len(probes) == 1  # once, at the first poll, whatever the number of polls and pollers
    assert sample(e, "sentry_server_info", flavor=flavor, source="detected") == 1
    assert said(caplog, "detected from") == [f"server flavor: {flavor} (detected from GET /api/settings/)"]


def _detecting(exporter, flavor: str) -> Exporter:
    """An exporter told nothing about the server: SENTRY_FLAVOR unset."""
    told = exporter(flavor=flavor)
    return Exporter(replace(told.config, flavor=None), client=told.client, clock=told._clock)


def test_a_forced_flavor_asks_nothing(exporter, simulators):
    e = exporter(flavor="glitchtip")  # the fixture sets SENTRY_FLAVOR
    run(e, "issues")
    assert not [r for r in simulators[0].log.snapshot() if r.path == "/api/settings/"]
    assert sample(e, "sentry_server_info", flavor="glitchtip", source="SENTRY_FLAVOR") == 1


def test_a_422_names_the_parameter_glitchtip_refused(org, clock, caplog):
    """Told the server is Sentry, the exporter sends sort=new, which GlitchTip's sort_options refuse."""
    with SimulatorServer(org, port=0, token=TOKEN, clock=clock, flavor="glitchtip") as server:
        client = SentryClient(server.url, TOKEN, requests_per_second=1000, max_attempts=1)
        e = Exporter(Config(sentry_url=server.url, org="acme", token=TOKEN, flavor="sentry",
                            releases_per_project=0), client=client, clock=clock)
        with caplog.at_level(logging.WARNING):
            assert not e.run_poller(e.issues)
            assert not e.run_poller(e.issues)
        client.close()
    lines = said(caplog, "HTTP 422")
    assert len(lines) == 1 and "parameter 'sort' refused" in lines[0]  # said once, naming the parameter


def test_glitchtip_issue_counts_are_exact_and_unknown_values_absent(exporter, org, clock):
    e = exporter(flavor="glitchtip", environments=ENVIRONMENTS, reconcile_interval=0)
    run(e, "issues")
    clock.advance(60)
    run(e, "issues")  # GlitchTip lists the quiet issue again (no window there): it never entered, never leaves
    assert sum(s.value for f in e.registry.collect() if f.name == "sentry_issue_transitions" for s in f.samples
               if s.name.endswith("_total") and s.labels["transition"] == "left") == 0
    got = {}
    for family in e.registry.collect():
        if family.name == "sentry_issues":
            for s in family.samples:
                assert (s.labels["substatus"], s.labels["priority"], s.labels["assignee"]) == ("", "", "")
                key = (s.labels["project"], s.labels["level"], s.labels["environment"])
                got[key] = got.get(key, 0) + s.value
    assert got == {("api", "error", "production"): 2, ("api", "error", "staging"): 1,
                   ("api", "warning", "staging"): 1, ("web", "fatal", "production"): 1,
                   ("web", "fatal", "staging"): 1, ("web", "error", "production"): 1}
    top = {s.labels["issue"] for f in e.registry.collect() if f.name == "sentry_issue_info" for s in f.samples}
    assert len(top) == 5
    names = {f.name for f in e.registry.collect()}
    # userCount is always 0 and count is the lifetime's: no users, no window events, not zeros
    assert "sentry_issue_first_seen_timestamp_seconds" in names
    for absent in ("sentry_issue_users", "sentry_issue_window_events"):
        assert not [s for f in e.registry.collect() if f.name == absent for s in f.samples]


def test_glitchtip_events_per_environment_grow_by_exactly_the_events_sent(exporter, org, clock):
    e = exporter(flavor="glitchtip", environments=ENVIRONMENTS, reconcile_interval=0)
    run(e, "issues")
    issue = next(i for i in org.issues.values() if i.level == "fatal")
    clock.advance(60)
    org.record_events(issue.id, 3, at=clock() - 10, environment="staging")
    org.record_events(issue.id, 2, at=clock() - 10, environment="production")
    run(e, "issues")
    key = {"project": "web", "level": "fatal"}
    assert sample(e, "sentry_issue_events_total", **key, environment="staging") == 3
    assert sample(e, "sentry_issue_events_total", **key, environment="production") == 2
    assert sample(e, "sentry_issue_events_total", project="api", level="error", environment="production") == 0


def test_against_glitchtip_what_it_cannot_serve_is_unsupported_and_the_rest_make_sentry_up(exporter, org, clock):
    e = exporter(flavor="glitchtip", releases_per_project=3, impact_tags=("workspace_id",),
                 monitors_interval=60.0, uptime_interval=60.0, uptime_results_interval=60.0)
    assert e.poll_once()
    assert sample(e, "sentry_up") == 1 and e.store.ready()
    assert sample(e, "sentry_poll_unsupported", poller="impact", reason="discover_unavailable") == 1
    results = e.store.current().results
    served = {name: state for name, state in e.store.current().pollers.items() if state.unsupported is None}
    assert set(served) == {"issues", "stats", "releases", "monitors", "uptime", "uptime_results"}
    # no success without data: each has what the org holds
    assert sum(results.issues.counts.values()) == 5
    assert results.releases.latest == {"api": ("api@1.0.0",)} and results.releases.health == ()
    assert [m.slug for m in results.monitors.monitors] == [org.monitors["nightly"].name]
    assert [m.url for m in results.uptime.monitors] == ["https://api.example.com/health"]
    assert results.uptime_results.latest
    # stats: the sums of GlitchTip's series, accepted only
    events = {k: v for k, v in results.stats.events.items() if v}
    assert events == {("api", "error", "accepted"): 7, ("web", "error", "accepted"): 4,
                      ("api", "transaction", "accepted"): 11}


def test_glitchtip_monitors_map_to_cron_and_uptime_metrics(exporter, org, clock):
    e = exporter(flavor="glitchtip", monitors_interval=60.0, uptime_interval=60.0, uptime_results_interval=60.0)
    for poller in ("monitors", "uptime", "uptime_results"):
        run(e, poller)
    cron = {"project": "api", "monitor": org.monitors["nightly"].name, "environment": "none"}  # no slug there
    assert sample(e, "sentry_monitor_status", **cron, status="ok") == 1
    assert sample(e, "sentry_monitor_last_checkin_timestamp_seconds", **cron) == clock() - 400
    assert sample(e, "sentry_monitor_checkins_total", **cron, status="missed") == 0
    url = {"project": "api", "environment": "none", "url": "https://api.example.com/health"}
    assert sample(e, "sentry_uptime_up", **url) == 1
    assert sample(e, "sentry_uptime_downtime_threshold", **url) is None  # GlitchTip has none
    clock.advance(300)
    org.record_checkin("nightly", "missed", at=clock() - 200)
    org.record_checkin("nightly", "ok", at=clock() - 100, duration_ms=10)
    uptime = next(iter(org.uptime_monitors.values()))
    org.record_uptime_check(uptime.id, "failure", at=clock() - 90, duration_us=2_000_000, http_status=503)
    for poller in ("monitors", "uptime", "uptime_results"):
        run(e, poller)
    assert sample(e, "sentry_monitor_checkins_total", **cron, status="missed") == 1
    assert sample(e, "sentry_monitor_checkins_total", **cron, status="ok") == 1
    assert sample(e, "sentry_monitor_last_checkin_duration_seconds", **cron) is None  # no durations
    assert sample(e, "sentry_uptime_up", **url) == 0
    assert sample(e, "sentry_uptime_checks_total", **url, outcome="failure") == 1
    assert sample(e, "sentry_uptime_last_check_in_incident", **url) == 1


def test_a_token_without_project_releases_is_told_so(org, clock, caplog):
    scopes = {TOKEN: ("org:read", "project:read", "event:read")}
    with SimulatorServer(org, port=0, token=TOKEN, clock=clock, flavor="glitchtip", token_scopes=scopes) as server:
        client = SentryClient(server.url, TOKEN, requests_per_second=1000, max_attempts=1)
        e = Exporter(Config(sentry_url=server.url, org="acme", token=TOKEN, flavor="glitchtip",
                            releases_per_project=3), client=client, clock=clock)
        releases = next(j.poller for j in e.jobs if j.poller.name == "releases")
        with caplog.at_level(logging.ERROR):
            assert not e.run_poller(releases)
        assert e.run_poller(e.issues)  # the others go on
        client.close()
    assert len(said(caplog, "project:releases")) == 1


def test_glitchtips_monitors_read_as_sentry_crons_fail_loudly_not_succeed_empty(org, clock, caplog):
    """The issue's finding: told Sentry, the monitors poll met GlitchTip's own monitors, counted each as
    malformed, and succeeded with no series and no line."""
    with SimulatorServer(org, port=0, token=TOKEN, clock=clock, flavor="glitchtip") as server:
        client = SentryClient(server.url, TOKEN, requests_per_second=1000, max_attempts=1)
        e = Exporter(Config(sentry_url=server.url, org="acme", token=TOKEN, flavor="sentry", monitors_interval=60.0,
                            releases_per_project=0), client=client, clock=clock)
        monitors = next(j.poller for j in e.jobs if j.poller.name == "monitors")
        with caplog.at_level(logging.WARNING):
            assert not e.run_poller(monitors)
        client.close()
    assert said(caplog, "none of the 2 monitors listed is a cron monitor")
