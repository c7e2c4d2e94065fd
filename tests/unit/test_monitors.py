"""Crons, uptime and deploys: the exporter's metrics against the simulator's truth (issue 15).

Every metric equals what the simulated org holds; a check-in is counted once by id across polls; a
restart counts no history; a monitor with no check-ins is exported; a Sentry that cannot answer the
detectors or uptime_results leaves sentry_up and /readyz as they were.
"""

from __future__ import annotations

import pytest
from inprocess import run, sample

from sentry_simulator import Behaviour, Org
from sentry_simulator.generate import team

MINUTE = 60
PER_RUN = {"monitors_interval": 60.0, "uptime_interval": 60.0, "uptime_results_interval": 60.0}


@pytest.fixture
def org(clock) -> Org:
    now = clock()
    org = Org(slug="acme", created=1_700_000_000.0, environments=("production", "staging"))
    org.add_project("api", project_id="1")
    org.add_project("web", project_id="2")
    org.add_monitor("export", "api", interval_minutes=5, owner=team("team-b"), created=now - 86400)
    org.add_monitor("sitemap", "web", interval_minutes=15, created=now - 3600)  # never checks in
    for slot in range(3):
        org.record_checkin("export", "ok", at=now - 900 + slot * 300, duration_ms=2000 + slot)
    org.record_checkin("export", "error", at=now - 100, environment="staging", duration_ms=50)
    uptime = org.add_uptime_monitor("API health", "api", "https://api.example.com/health", owner=team("team-b"),
                                    downtime_threshold=2)
    for index in range(5):
        org.record_uptime_check(uptime.id, "success", at=now - 600 + index * MINUTE, duration_us=100_000 + index)
    release = org.create_release("api@1.0.0", ["api"], created=now - 7200)
    org.create_deploy(release.version, "production", finished=now - 3600)
    return org


def labels(monitor="export", environment="production", project="api", **more):
    return {"project": project, "monitor": monitor, "environment": environment, **more}


def test_every_monitor_metric_equals_the_simulators_truth(exporter, org):
    e = exporter(**PER_RUN)
    run(e, "monitors")
    export = org.monitors["export"]
    prod = export.environments["production"]
    assert sample(e, "sentry_monitor_info", project="api", monitor="export", team="team-b") == 1
    assert sample(e, "sentry_monitor_info", project="web", monitor="sitemap", team="") == 1  # no check-ins yet
    assert sample(e, "sentry_monitor_status", **labels(status="ok")) == 1
    assert sample(e, "sentry_monitor_status", **labels(status="error")) == 0
    assert sample(e, "sentry_monitor_status", **labels(environment="staging", status="error")) == 1
    assert sample(e, "sentry_monitor_muted", **labels()) == 0
    assert sample(e, "sentry_monitor_last_checkin_timestamp_seconds", **labels()) == prod.last_checkin
    assert sample(e, "sentry_monitor_next_checkin_timestamp_seconds", **labels()) == prod.next_checkin
    assert sample(e, "sentry_monitor_next_checkin_latest_timestamp_seconds", **labels()) == prod.next_checkin_latest
    assert sample(e, "sentry_monitor_last_checkin_duration_seconds", **labels()) == 2.002
    assert sample(e, "sentry_monitor_last_checkin_duration_seconds", **labels(environment="staging")) == 0.05
    # The first run is the baseline: every status of every environment is there, at 0.
    for status in ("ok", "error", "missed", "timeout", "in_progress"):
        assert sample(e, "sentry_monitor_checkins_total", **labels(status=status)) == 0
    assert sample(e, "sentry_monitor_status", **labels(monitor="sitemap", project="web", status="active")) is None


def test_a_missed_check_in_counts_once_across_polls(exporter, org, clock):
    e = exporter(**PER_RUN)
    run(e, "monitors")
    clock.advance(400)
    org.record_checkin("export", "missed", at=clock() - 30)
    run(e, "monitors")
    run(e, "monitors")  # nothing changed: no check-ins call, nothing counted again
    clock.advance(300)
    org.record_checkin("export", "ok", at=clock(), duration_ms=1500)
    run(e, "monitors")  # the missed one is on the page again, with the new ok one
    assert sample(e, "sentry_monitor_checkins_total", **labels(status="missed")) == 1
    assert sample(e, "sentry_monitor_checkins_total", **labels(status="ok")) == 1
    assert sample(e, "sentry_monitor_status", **labels(status="ok")) == 1


def test_an_in_progress_check_in_counts_its_start_and_its_end(exporter, org, clock):
    e = exporter(**PER_RUN)
    run(e, "monitors")
    clock.advance(60)
    running = org.record_checkin("export", "in_progress", at=clock())
    run(e, "monitors")
    clock.advance(600)
    org.finish_checkin("export", running, "timeout", at=clock())
    org.record_checkin("export", "missed", at=clock())  # moves nextCheckIn: the monitor is read again
    run(e, "monitors")
    counts = {s: sample(e, "sentry_monitor_checkins_total", **labels(status=s)) for s in
              ("in_progress", "timeout", "missed", "ok")}
    assert counts == {"in_progress": 1, "timeout": 1, "missed": 1, "ok": 0}


def test_a_restart_counts_no_history(exporter, org, clock):
    first = exporter(**PER_RUN)
    run(first, "monitors")
    clock.advance(400)
    org.record_checkin("export", "error", at=clock(), duration_ms=10)
    run(first, "monitors")
    assert sample(first, "sentry_monitor_checkins_total", **labels(status="error")) == 1
    restarted = exporter(**PER_RUN)
    run(restarted, "monitors")
    run(restarted, "uptime_results")
    assert sample(restarted, "sentry_monitor_checkins_total", **labels(status="error")) == 0
    assert sample(restarted, "sentry_monitor_checkins_total", **labels(status="ok")) == 0
    assert sample(restarted, "sentry_uptime_checks_total", project="api", environment="production",
                  url="https://api.example.com/health", outcome="success") == 0


def test_calls_per_run_one_per_100_monitors_plus_capped_check_ins(exporter, org, clock):
    for n in range(150):
        org.add_monitor(f"job-{n:03d}", "web", interval_minutes=10)
        org.record_checkin(f"job-{n:03d}", "ok", at=clock() - 60, duration_ms=1)
    e = exporter(monitors_checkin_calls=100, **PER_RUN)
    before = dict(e.client.stats.copy()[0])
    run(e, "monitors")
    assert _calls(e, before) == {"monitors": 2, "checkins": 100}  # 152 monitors on 2 pages; the cap of 100
    assert sample(e, "sentry_monitor_checkins_deferred") == 51
    before = dict(e.client.stats.copy()[0])
    run(e, "monitors")
    assert _calls(e, before) == {"monitors": 2, "checkins": 51}  # the deferred ones; sitemap never changed
    before = dict(e.client.stats.copy()[0])
    run(e, "monitors")
    assert _calls(e, before) == {"monitors": 2}


def _calls(e, before: dict) -> dict:
    now = e.client.stats.copy()[0]
    diff = {}
    for (endpoint, _code), n in now.items():
        delta = n - before.get((endpoint, _code), 0)
        if delta:
            diff[endpoint] = diff.get(endpoint, 0) + delta
    return diff


def test_uptime_metrics_equal_the_simulators_truth(exporter, org, clock):
    e = exporter(**PER_RUN)
    run(e, "uptime")
    run(e, "uptime_results")
    key = {"project": "api", "environment": "production", "url": "https://api.example.com/health"}
    assert sample(e, "sentry_uptime_up", **key) == 1
    assert sample(e, "sentry_uptime_monitor_info", **key, monitor="API health", team="team-b") == 1
    assert sample(e, "sentry_uptime_downtime_threshold", **key) == 2
    assert sample(e, "sentry_uptime_check_interval_seconds", **key) == 60
    monitor = next(iter(org.uptime_monitors.values()))
    last = monitor.checks[-1]
    assert sample(e, "sentry_uptime_last_check_status", **key, status="success") == 1
    assert sample(e, "sentry_uptime_last_check_duration_seconds", **key) == last.duration_us / 1e6
    assert sample(e, "sentry_uptime_last_check_timestamp_seconds", **key) == last.timestamp
    assert sample(e, "sentry_uptime_last_check_in_incident", **key) == 0
    # Two failures open Sentry's incident; the counters take exactly the checks after the first run.
    for index in range(3):
        clock.advance(MINUTE)
        org.record_uptime_check(monitor.id, "failure", at=clock() - 90, duration_us=5_000_000, http_status=503)
    clock.advance(2 * MINUTE)
    run(e, "uptime")
    run(e, "uptime_results")
    run(e, "uptime_results")
    assert sample(e, "sentry_uptime_up", **key) == 0
    assert sample(e, "sentry_uptime_checks_total", **key, outcome="failure") == 3
    assert sample(e, "sentry_uptime_checks_total", **key, outcome="success") == 0
    assert sample(e, "sentry_uptime_last_check_status", **key, status="failure") == 1
    assert sample(e, "sentry_uptime_last_check_in_incident", **key) == 1


@pytest.mark.parametrize("status", [403, 404])
def test_no_detectors_or_uptime_results_leaves_sentry_up_and_readyz_as_they_were(exporter, org, status):
    behaviour = Behaviour(detectors_status=status, uptime_results_status=status)
    e = exporter(behaviour=behaviour, **PER_RUN)
    assert e.poll_once()  # every poller this Sentry can serve succeeded
    assert sample(e, "sentry_up") == 1 and e.store.ready()
    reason = {403: "forbidden", 404: "not_found"}[status]
    for poller in ("uptime", "uptime_results"):
        assert sample(e, "sentry_poll_unsupported", poller=poller, reason=reason) == 1
    assert sample(e, "sentry_uptime_up", project="api", environment="production",
                  url="https://api.example.com/health") is None
    behaviour.detectors_status = None  # the token gains the scope: the poller is back
    run(e, "uptime")
    assert sample(e, "sentry_poll_unsupported", poller="uptime", reason=reason) is None
    assert sample(e, "sentry_uptime_up", project="api", environment="production",
                  url="https://api.example.com/health") == 1
    behaviour.detectors_status = 500  # a real failure of a supported poller still takes sentry_up down
    job = next(j for j in e.jobs if j.poller.name == "uptime")
    assert not e.run_poller(job.poller)
    assert sample(e, "sentry_up") == 0


def test_deploys_are_read_only_when_last_deploy_changes(exporter, org, clock):
    e = exporter(releases_per_project=3, deploy_calls=10, **PER_RUN)
    run(e, "releases")
    assert sample(e, "sentry_release_created_timestamp_seconds", project="api", release="api@1.0.0") == clock() - 7200
    assert sample(e, "sentry_release_deploy_timestamp_seconds", project="api", release="api@1.0.0",
                  environment="production") == clock() - 3600
    before = dict(e.client.stats.copy()[0])
    run(e, "releases")
    assert "deploys" not in _calls(e, before)  # one deploy: lastDeploy is all there is, and it did not change
    org.create_deploy("api@1.0.0", "staging", finished=clock() - 60)
    org.create_deploy("api@1.0.0", "production", finished=clock() - 30)
    before = dict(e.client.stats.copy()[0])
    run(e, "releases")
    assert _calls(e, before).get("deploys") == 1
    assert sample(e, "sentry_release_deploy_timestamp_seconds", project="api", release="api@1.0.0",
                  environment="staging") == clock() - 60
    assert sample(e, "sentry_release_deploy_timestamp_seconds", project="api", release="api@1.0.0",
                  environment="production") == clock() - 30
    before = dict(e.client.stats.copy()[0])
    run(e, "releases")
    assert "deploys" not in _calls(e, before)


@pytest.mark.parametrize("endpoint, poller", [("monitors", "monitors"), ("checkins", "monitors"),
                                              ("detectors", "uptime"), ("uptime_results", "uptime_results"),
                                              ("deploys", "releases")])
@pytest.mark.parametrize("fault", [{"malformed": True}, {"html_error": True}, {"status": 500}])
def test_a_bad_answer_fails_the_poll_and_keeps_metrics_up(exporter, org, clock, endpoint, poller, fault):
    e = exporter(releases_per_project=3, deploy_calls=10, **PER_RUN)
    org.create_deploy("api@1.0.0", "staging", finished=clock() - 60)  # two deploys: the releases run reads them
    org.record_checkin("export", "ok", at=clock() - 1, duration_ms=5)  # the monitor changed: check-ins are read
    exporter.server.faults.set(endpoint=endpoint, **fault)
    job = next(j for j in e.jobs if j.poller.name == poller)
    assert not e.run_poller(job.poller)
    assert sample(e, "sentry_poll_success", poller=poller) == 0
    assert sample(e, "sentry_poll_unsupported", poller=poller, reason="not_found") is None
    assert b'sentry_up{org="acme"} 0.0' in e.exposition()
