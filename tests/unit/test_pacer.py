"""sentry/pacing.py's Pacer on a fake clock, driven by Sentry's rate-limit headers."""

from __future__ import annotations

import pytest

from sentry_exporter.sentry.pacing import Pacer
from sentry_simulator import FakeClock


@pytest.fixture
def pacer():
    clock = FakeClock(1000.0)
    pacer = Pacer(100, max_concurrency=4, clock=clock, sleep=clock.advance)  # sleeping moves the fake time
    return pacer, clock


def headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {"X-Sentry-Rate-Limit-Limit": str(limit), "X-Sentry-Rate-Limit-Remaining": str(remaining),
            "X-Sentry-Rate-Limit-Reset": str(int(reset))}


def test_an_exhausted_window_waits_for_its_reset(pacer):
    pacer, clock = pacer
    pacer.acquire("issues")
    pacer.release("issues", headers(5, 0, 1003))
    pacer.acquire("issues")
    assert 1003 <= clock() < 1003.1
    assert pacer.windows()["issues"].remaining == 5  # the window reset: full again


def test_other_endpoints_keep_their_own_window(pacer):
    pacer, clock = pacer
    pacer.acquire("issues")
    pacer.release("issues", headers(5, 0, 1003))
    pacer.acquire("events")
    assert clock() < 1000.1  # only our own spacing


def test_requests_in_flight_count_against_what_remains(pacer):
    pacer, clock = pacer
    pacer.acquire("issues")
    pacer.release("issues", headers(5, 2, 1002))
    pacer.acquire("issues")
    pacer.acquire("issues")  # two in flight use the two that remain
    before = clock()
    pacer.acquire("issues")
    assert before < 1002 <= clock()


def test_an_older_window_arriving_late_does_not_undo_a_newer_one(pacer):
    pacer, clock = pacer
    pacer.acquire("issues")
    pacer.release("issues", headers(5, 0, 1004))
    pacer.acquire("issues")  # waits to 1004
    pacer.release("issues", headers(5, 4, 1005))
    pacer.acquire("issues")
    pacer.release("issues", headers(5, 3, 1003))  # a stale response from an older window
    assert pacer.windows()["issues"].remaining == 4 and pacer.windows()["issues"].reset == 1005
