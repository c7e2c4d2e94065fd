"""Plans and versions (CONTRACT §0.10, §0.11): a poller this Sentry cannot serve is unsupported, and
the impact poller falls back where a plan or an older version refuses its query."""

from __future__ import annotations

import logging

import pytest

from inprocess import run, sample
from sentry_exporter.app import Exporter
from sentry_exporter.config import Config
from sentry_exporter.sentry.client import SentryClient
from sentry_simulator import Behaviour, SimulatorServer, build_org
from tools import TOKEN

IMPACT = {"impact_tags": ("workspace_id",), "label_tags": ("release_stage",)}
UNSUPPORTED = {"poller": "impact", "reason": "discover_unavailable"}


@pytest.fixture
def org(clock):
    return build_org(slug="acme", projects=3, unresolved=80, seed=3, now=clock())


def requests(e, endpoint: str, code: str) -> int:
    return e.client.stats.copy()[0].get((endpoint, code), 0)


def tag_values(e) -> dict[tuple[str, str], float]:
    """(issue, release_stage tier) -> distinct workspace_id values, from the exposition."""
    found = {}
    for family in e.registry.collect():
        if family.name == "sentry_issue_tag_values":
            for s in family.samples:
                found[(s.labels["issue"], s.labels["release_stage"])] = s.value
    return found


def poll_all(e) -> None:
    for job in e.jobs:
        e.run_poller(job.poller)


def test_without_discover_the_impact_poller_is_unsupported_and_the_others_go_on(exporter, clock, caplog):
    behaviour = Behaviour(discover=False)
    e = exporter(behaviour=behaviour, **IMPACT)
    with caplog.at_level(logging.WARNING, logger="sentry_exporter.app"):
        poll_all(e)
        clock.advance(60)
        poll_all(e)
    assert sample(e, "sentry_poll_unsupported", **UNSUPPORTED) == 1
    assert sample(e, "sentry_poll_success", poller="impact") is None
    assert sample(e, "sentry_polls_total", poller="impact", result="unsupported") == 2
    assert sample(e, "sentry_up") == 1 and e.store.ready() and e.poll_once()
    assert sample(e, "sentry_poll_success", poller="issues") == 1
    said = [r for r in caplog.records if "unsupported" in r.getMessage() and r.poller == "impact"]
    assert len(said) == 1 and "discover-basic" in said[0].getMessage()
    # A plan upgrade heals it without a restart.
    behaviour.discover = True
    run(e, "impact")
    assert sample(e, "sentry_poll_unsupported", **UNSUPPORTED) is None
    assert sample(e, "sentry_poll_success", poller="impact") == 1 and tag_values(e)


def test_an_org_404_is_a_failure_not_unsupported(exporter, org):
    e = exporter(**IMPACT)
    org.slug = "renamed"  # the configured org no longer exists: Sentry says so in a detail, not a bare 404
    assert not e.run_poller(next(j.poller for j in e.jobs if j.poller.name == "impact"))
    assert sample(e, "sentry_poll_success", poller="impact") == 0
    assert sample(e, "sentry_poll_unsupported", **UNSUPPORTED) is None


def test_without_global_views_each_project_is_asked_on_its_own(exporter, org, clock):
    full = exporter(**IMPACT)
    run(full, "impact")
    truth = tag_values(full)
    assert truth and all(stage for _, stage in truth)
    e = exporter(behaviour=Behaviour(global_views=False), **IMPACT)
    run(e, "impact")
    assert tag_values(e) == truth
    run(e, "impact")  # remembered: no second refusal
    assert requests(e, "events", "400") == 1


def test_an_older_sentry_without_dataset_errors_is_asked_without_it(exporter, org, clock):
    full = exporter(**IMPACT)
    run(full, "impact")
    e = exporter(behaviour=Behaviour(errors_dataset=False), **IMPACT)
    run(e, "impact")
    assert tag_values(e) == tag_values(full)
    run(e, "impact")
    assert requests(e, "events", "400") == 1


def test_a_contract_error_is_said_once_and_fails_the_poll(exporter, clock, caplog):
    e = exporter()
    exporter.servers[-1].faults.set(status=400, endpoint="stats_v2")  # {"detail": "Injected fault"}, every time
    with caplog.at_level(logging.WARNING, logger="sentry_exporter.app"):
        for _ in range(3):
            assert not e.run_poller(next(j.poller for j in e.jobs if j.poller.name == "stats"))
            clock.advance(60)
    said = [r for r in caplog.records if "refused the request as invalid" in r.getMessage()]
    assert len(said) == 1 and "Injected fault" in said[0].getMessage()
    assert sample(e, "sentry_polls_total", poller="stats", result="failure") == 3


def test_a_poll_waits_out_throttling_only_within_its_interval(org, clock):
    """Snuba's header-less 429 backs off for up to 60 s a request; a poll gives up at its interval."""
    slept: list[float] = []
    with SimulatorServer(org, port=0, token=TOKEN, clock=clock) as server:
        server.faults.set(snuba_throttle=429, endpoint="stats_v2")
        config = Config(sentry_url=server.url, org=org.slug, token=TOKEN, releases_per_project=0, stats_interval=5)
        client = SentryClient(server.url, TOKEN, requests_per_second=1000, sleep=slept.append)
        try:
            e = Exporter(config, client=client, clock=clock)
            assert not e.run_poller(next(j.poller for j in e.jobs if j.poller.name == "stats"))
        finally:
            client.close()
    assert slept and sum(slept) <= 5
