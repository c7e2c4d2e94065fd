"""Org auth tokens can read only releases (CONTRACT §0.2); Snuba throttling has no rate-limit headers (§0.4)."""

from __future__ import annotations

import pytest
from simapi import NOW, TOKEN, Api

from sentry_simulator import FakeClock, SimulatorServer, build_org

ORG = "organizations/acme/"
ORG_TOKEN = "sntrys_eyJvcmciOiJhY21lIn0_ci"
READS = [("issues/", {"query": ""}), ("projects/", None), ("events/", {"field": "count()"}),
         ("stats_v2/", {"field": "sum(quantity)", "groupBy": "category", "statsPeriod": "1d"}),
         ("sessions/", {"field": "sum(session)"})]
THROTTLED = "Rate limit exceeded. Please try your query with a smaller date range or fewer projects."


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(build_org(unresolved=20, seed=4, now=NOW), clock=FakeClock(NOW), token=[TOKEN, ORG_TOKEN],
                         rate_limit_per_second=100) as srv:
        yield srv


@pytest.mark.parametrize("path, params", READS)
def test_org_token_is_forbidden_every_read_but_releases(sim, path, params):
    response = Api(sim, token=ORG_TOKEN).get(ORG + path, params)
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert Api(sim).get(ORG + path, params).status_code == 200


def test_org_token_reads_releases(sim):
    assert Api(sim, token=ORG_TOKEN).json(ORG + "releases/")


@pytest.mark.parametrize("status", [429, 400])
def test_snuba_throttling_for_the_next_n_requests_has_no_rate_limit_headers(sim, status):
    sim.faults.set(snuba_throttle=status, count=2, endpoint="events")
    api = Api(sim)
    answers = [api.get(ORG + "events/", {"field": "count()"}) for _ in range(3)]
    assert [r.status_code for r in answers] == [status, status, 200]
    for throttled in answers[:2]:
        assert throttled.json() == {"detail": THROTTLED}
        assert not [h for h in throttled.headers if h.lower().startswith("x-sentry-rate-limit")]
        assert "Retry-After" not in throttled.headers
    assert "X-Sentry-Rate-Limit-Remaining" in answers[2].headers


def test_snuba_throttle_takes_only_429_or_400(sim):
    with pytest.raises(ValueError):
        sim.faults.set(snuba_throttle=503)
