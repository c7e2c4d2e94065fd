"""Fixtures for the simulator's own tests: a small fixed-time org, a running server, the OpenAPI schemas."""

from __future__ import annotations

import json

import pytest
from simapi import NOW, OPENAPI, TOKEN, Api

from sentry_simulator import FakeClock, SimulatorServer, build_org


@pytest.fixture(scope="session")
def openapi() -> dict:
    return json.loads(OPENAPI.read_text())


@pytest.fixture(scope="module")
def org():
    return build_org(slug="acme", projects=5, unresolved=300, resolved=20, seed=7, now=NOW)


@pytest.fixture(scope="module")
def server(org):
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        yield srv


@pytest.fixture(scope="module")
def api(server):
    return Api(server)
