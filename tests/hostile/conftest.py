import pytest

from badservers import ScriptedServer
from sentry_simulator import build_org


@pytest.fixture
def scripted():
    servers = []

    def make(script=None, tls=None):
        server = ScriptedServer(script, tls)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def default_org():
    return lambda: build_org(slug="acme", projects=3, unresolved=150, seed=11)


@pytest.fixture
def exporter_env() -> dict[str, str]:
    # every poller repeats each second and gives up on a silent server after one
    return {"SENTRY_POLL_INTERVAL_SECONDS": "1", "SENTRY_STATS_INTERVAL_SECONDS": "1",
            "SENTRY_RELEASES_INTERVAL_SECONDS": "1", "SENTRY_PROJECTS_REFRESH_SECONDS": "1",
            "SENTRY_TIMEOUT_SECONDS": "1"}
