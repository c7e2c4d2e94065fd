import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests import their shared `tools`

from sentry_simulator import SimulatorServer, build_org  # noqa: E402
from tools import TOKEN, ExporterProcess, clock_variables  # noqa: E402


def pytest_configure(config):
    """Under plain `faketime`, this process's threads could not wait with a timeout (tools.clock_variables
    says why): the run starts again at once with the variables that let them, on the same shifted clock."""
    variables = clock_variables()
    if any(os.environ.get(k) != v for k, v in variables.items()):
        capture = config.pluginmanager.getplugin("capturemanager")
        if capture:
            capture.stop_global_capturing()  # the new run writes to the terminal, not to this one's capture
        os.execve(sys.executable, [sys.executable, "-m", "pytest", *sys.argv[1:]], {**os.environ, **variables})


@pytest.fixture
def default_org():
    """The org make_sim() serves when given none; a directory's conftest may choose another."""
    return lambda: build_org(slug="acme", projects=4, unresolved=450, seed=7)


@pytest.fixture
def exporter_env() -> dict[str, str]:
    """Settings every make_exporter() process gets: short intervals so tests see several polls."""
    return {"SENTRY_POLL_INTERVAL_SECONDS": "1", "SENTRY_STATS_INTERVAL_SECONDS": "1", "SENTRY_TIMEOUT_SECONDS": "3"}


@pytest.fixture
def make_sim(default_org):
    servers = []

    def make(org=None, **kwargs):
        org = org or default_org()
        server = SimulatorServer(org, host="127.0.0.1", port=0, token=TOKEN, **kwargs)
        server.start()
        servers.append(server)
        return org, server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def make_exporter(exporter_env):
    """The real exporter process against a simulator (or any URL); its output must never hold the token."""
    procs = []

    def make(target, args=(), **env):
        url = target if isinstance(target, str) else target.url
        settings = {"SENTRY_URL": url, "SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme", **exporter_env, **env}
        proc = ExporterProcess(settings, args)
        procs.append(proc)
        return proc

    yield make
    for proc in procs:
        out, err = proc.stop()
        assert TOKEN not in out + err, "the token leaked into the exporter's output"
