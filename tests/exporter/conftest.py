import time

import pytest

from sentry_exporter.simulator import SimulatorServer, build_org
from tools import ExporterProcess

TOKEN = "sntrys_test_token_0123456789"


@pytest.fixture
def make_sim():
    servers = []

    def make(org=None, **kwargs):
        org = org or build_org(slug="acme", projects=4, unresolved=450, seed=7)
        server = SimulatorServer(org, host="127.0.0.1", port=0, token=TOKEN, **kwargs)
        server.start()
        servers.append(server)
        return org, server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def make_exporter():
    procs = []

    def make(server, org_slug="acme", args=(), **env):
        settings = {"SENTRY_URL": server.url, "SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": org_slug,
                    "SENTRY_POLL_INTERVAL_SECONDS": "1", "SENTRY_STATS_INTERVAL_SECONDS": "1",
                    "SENTRY_TIMEOUT_SECONDS": "3", **env}
        proc = ExporterProcess(settings, args)
        procs.append(proc)
        return proc

    yield make
    for proc in procs:
        out, err = proc.stop()
        assert TOKEN not in out + err, "the token leaked into the exporter's output"


def assignee_label(assignee):
    if assignee is None:
        return "unassigned"
    return f"#{assignee.name}" if assignee.kind == "team" else assignee.name


def now():
    return time.time()
