"""The fast layer: the simulator, client, pollers, snapshot and collector in-process, on a fake clock."""

from __future__ import annotations

import pytest

from sentry_exporter.app import Exporter
from sentry_exporter.config import Config
from sentry_exporter.sentry.client import SentryClient
from sentry_simulator import Behaviour, FakeClock, Org, SimulatorServer
from tools import TOKEN


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_773_144_000.0)  # 2026-03-10T12:00:00Z, an hour boundary; fixed-date: injected


@pytest.fixture
def org() -> Org:
    org = Org(slug="acme", created=1_700_000_000.0)
    org.add_project("api", project_id="1")
    return org


@pytest.fixture
def behaviour() -> Behaviour:
    """The simulator's switches (CONTRACT.md §0): a test may change them between polls."""
    return Behaviour()


@pytest.fixture
def simulators() -> list:
    """The simulators `exporter` started, in order: a test reads their request logs."""
    return []


@pytest.fixture
def flavor() -> str:
    """The server the exporter is told it reads (SENTRY_FLAVOR); a test parametrizes it to run against
    both. Detection itself has its own tests (test_flavor.py)."""
    return "sentry"


@pytest.fixture
def exporter(org, clock, behaviour, simulators, flavor):
    """Make an Exporter against the simulated org; simulator, client and pollers share the fake clock.
    `make.server` is the simulator of the exporter made last (its faults, its request log)."""
    made, switches, flavored = [], behaviour, flavor

    def make(behaviour: Behaviour | None = None, flavor: str | None = None, **settings) -> Exporter:
        """`behaviour`: this simulator's switches, else the `behaviour` fixture's; `flavor`: the server
        kind the simulator answers as ("sentry" or "glitchtip"), else the `flavor` fixture's. The
        exporter is told it (SENTRY_FLAVOR) unless `settings` says otherwise (flavor=None: detected)."""
        flavor = flavor or flavored
        server = make.server = SimulatorServer(org, port=0, token=TOKEN, clock=clock,
                                               behaviour=behaviour or switches, flavor=flavor)
        server.start()
        config = Config(sentry_url=server.url, org=org.slug, token=TOKEN,
                        **{"releases_per_project": 0, "flavor": flavor, **settings})
        client = SentryClient(server.url, TOKEN, requests_per_second=1000, max_attempts=1)
        made.append((server, client))
        simulators.append(server)
        return Exporter(config, client=client, clock=clock)

    make.servers = simulators
    yield make
    for server, client in made:
        client.close()
        server.stop()
