import pytest

from badservers import ScriptedServer
from sentry_exporter.simulator import SimulatorServer, build_org
from tools import ExporterProcess

TOKEN = "sntrys_hostile_token_5f1c2a9e"


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
def make_sim():
    servers = []

    def make(org=None, **kwargs):
        org = org or build_org(slug="acme", projects=3, unresolved=150, seed=11)
        server = SimulatorServer(org, host="127.0.0.1", port=0, token=TOKEN, **kwargs)
        server.start()
        servers.append(server)
        return org, server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def make_exporter():
    """The real exporter process; on teardown, its output must not hold the token."""
    procs = []

    def make(url, args=(), **env):
        settings = {"SENTRY_URL": url, "SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme",
                    "SENTRY_POLL_INTERVAL_SECONDS": "1", "SENTRY_STATS_INTERVAL_SECONDS": "1",
                    "SENTRY_RELEASES_INTERVAL_SECONDS": "1", "SENTRY_PROJECTS_REFRESH_SECONDS": "1",
                    "SENTRY_TIMEOUT_SECONDS": "1", **env}
        proc = ExporterProcess(settings, args)
        procs.append(proc)
        return proc

    yield make
    for proc in procs:
        out, err = proc.stop()
        assert TOKEN not in out + err, "the token leaked into the exporter's output"
