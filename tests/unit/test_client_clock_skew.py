"""X-Sentry-Rate-Limit-Reset is an epoch second on Sentry's clock. The simulator runs its clock (its
rate-limit windows, Reset and Date) skewed against the exporter's: the client measures Reset against
Date, so neither a Sentry behind us nor one ahead of us costs 429s or long waits."""

from __future__ import annotations

import math

import pytest

from clientrig import FakeTime
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.pacing import Pacer
from sentry_simulator import FakeClock, Org, SimulatorServer
from tools import TOKEN

LIMIT = 10  # requests per 1-second window of the group-default bucket


@pytest.mark.parametrize("skew, requests", [(-3.0, 40), (0.0, 40), (30.0, 12)])
def test_a_skewed_sentry_clock_costs_no_429s_and_no_long_waits(skew, requests):
    """Measured before the fix: 3 s behind, 40 requests got 56 429s; 30 s ahead, 12 requests took 61.6 s."""
    fake = FakeTime()  # our clock: it moves only when the client sleeps
    org = Org(slug="acme", created=1_700_000_000.0)
    org.add_project("api", project_id="1")
    with SimulatorServer(org, token=TOKEN, clock=FakeClock(fake.now), rate_limit_per_second=LIMIT,
                         rate_limit_clock=lambda: fake.now + skew) as server:
        client = SentryClient(server.url, TOKEN, requests_per_second=1000, clock=fake.clock, sleep=fake.sleep)
        started = fake.now
        for _ in range(requests):
            client.get_json("projects", "organizations/acme/projects/")
        client.close()
    assert server.requests_by_status("projects")[429] == 0
    windows = math.ceil(requests / LIMIT)
    # Each exhausted window is waited out from its last answer: at most a second (Date and Reset are whole
    # seconds) plus our spacing, never the skew.
    assert fake.now - started <= windows * 1.1


def test_reset_is_clamped_to_a_few_seconds_whatever_the_headers_say():
    from sentry_exporter.sentry.pacing import MAX_RESET_WAIT
    fake = FakeTime()
    pacer = Pacer(1000, clock=fake.clock, sleep=fake.sleep)
    pacer.acquire("default")
    pacer.release("default", {"X-Sentry-Rate-Limit-Limit": "40", "X-Sentry-Rate-Limit-Remaining": "0",
                              "X-Sentry-Rate-Limit-Reset": str(int(fake.now) + 86400), "Date": fake.date()})
    pacer.acquire("default")
    assert MAX_RESET_WAIT <= fake.now - 2_000_000_000.0 <= MAX_RESET_WAIT + 0.1
