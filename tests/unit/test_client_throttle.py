"""Throttling as Sentry sends it (CONTRACT.md §0.3, §0.4): header-less 429s and Snuba's 400 back off
exponentially within the caller's time; a 429 with Reset waits for Reset; any other 400 is a
contract error. The client runs against a local HTTP server, on a fake clock."""

from __future__ import annotations

import json
import re

import pytest

from clientrig import FakeTime, scripted_servers
from hostile.badservers import Reply, ScriptedServer, json_reply
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.errors import SentryError

SNUBA = "Rate limit exceeded. Please try your query with a smaller date range or fewer projects."
MIDDLEWARE = "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds"
ISSUES = "organizations/acme/issues/"


def throttled(status: int = 429, body=None, headers: dict | None = None) -> Reply:
    """Snuba's DRF {"detail": …} by default; the middleware sends a bare JSON string, as text/html."""
    data = {"detail": SNUBA} if body is None else body
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "text/html; charset=utf-8", **(headers or {})})


@pytest.fixture
def serve():
    with scripted_servers() as start:
        def make(*replies: Reply) -> ScriptedServer:
            """Answers with `replies` in order, then the last one for ever."""
            server = start(lambda endpoint, params: replies[min(len(server.seen), len(replies)) - 1])
            return server

        yield make


def client_for(server: ScriptedServer, fake: FakeTime, **settings) -> SentryClient:
    return SentryClient(server.url, "sntryu_unit_token_0001", requests_per_second=1000, clock=fake.clock,
                        sleep=fake.sleep, **settings)


def test_headerless_429_backs_off_from_one_second_and_retries_past_max_attempts(serve):
    server = serve(*[throttled()] * 5, json_reply([{"id": "1"}]))
    fake = FakeTime()
    assert client_for(server, fake, max_attempts=4).get_json("issues", ISSUES) == [{"id": "1"}]
    waits = fake.waits()
    assert len(waits) == 5 and len(server.seen) == 6
    for n, wait in enumerate(waits):
        assert 2 ** n <= wait <= 1.5 * 2 ** n, waits  # 1 s, 2 s, 4 s … with jitter


def test_backoff_stops_growing_at_60_seconds_and_ends_when_the_budget_is_spent(serve):
    server = serve(throttled(body=MIDDLEWARE))
    fake = FakeTime()
    with pytest.raises(SentryError) as caught:
        client_for(server, fake, throttle_budget=400).get_json("issues", ISSUES)
    waits = fake.waits()
    assert max(waits) == 60.0 and waits.count(60.0) >= 3
    assert sum(waits) <= 400
    assert caught.value.status == 429
    assert MIDDLEWARE in str(caught.value)  # the JSON-string body is read as the reason


def test_429_with_reset_waits_until_reset(serve):
    fake = FakeTime()
    reset = {"X-Sentry-Rate-Limit-Limit": "40", "X-Sentry-Rate-Limit-Remaining": "0",
             "X-Sentry-Rate-Limit-Reset": str(int(fake.now) + 3), "Date": fake.date()}
    server = serve(throttled(body=MIDDLEWARE, headers=reset), json_reply([]))
    assert client_for(server, fake).get_json("issues", ISSUES) == []
    assert len(fake.waits()) == 1 and 3.0 <= fake.waits()[0] <= 3.1


def test_snuba_400_is_retried_like_a_throttle(serve):
    server = serve(throttled(400), throttled(400), json_reply([{"id": "2"}]))
    fake = FakeTime()
    assert client_for(server, fake).get_json("issues", ISSUES) == [{"id": "2"}]
    assert len(fake.waits()) == 2 and 1.0 <= fake.waits()[0] <= 1.5


def test_any_other_400_is_a_contract_error_raised_at_once(serve):
    from sentry_exporter.sentry.errors import ContractError
    server = serve(json_reply({"detail": "Invalid cursor parameter."}, status=400))
    fake = FakeTime()
    with pytest.raises(ContractError) as caught:
        client_for(server, fake).get_json("issues", ISSUES)
    assert len(server.seen) == 1 and fake.waits() == []
    error = caught.value
    assert (error.status, error.detail) == (400, "Invalid cursor parameter.")
    assert error.once_key == ("issues", "Invalid cursor parameter.")  # what a caller needs to say it once


def test_a_callers_deadline_bounds_the_waits_of_every_request_inside_it(serve):
    server = serve(throttled())
    fake = FakeTime()
    client = client_for(server, fake, throttle_budget=600)
    with client.deadline(10):
        with pytest.raises(SentryError, match="no time left") as caught:
            client.get_json("issues", ISSUES)
        waited = sum(fake.waits())
        refused = float(re.search(r"wait ([0-9.]+)s more", str(caught.value)).group(1))
        # 1 + 2 s always fit, 4 s more only when the jitter (x1 to x1.5) left room; the wait refused did not fit.
        assert 3 <= waited <= 10 < waited + refused + 0.05  # + 0.05: the message rounds to 0.1 s
        with pytest.raises(SentryError, match="no time left"):
            client.get_json("projects", "organizations/acme/projects/")
        assert sum(fake.waits()) <= 10  # the second request had only what the first left
    with client.deadline(0.5):
        sent = len(server.seen)
        with pytest.raises(SentryError, match="no time left"):
            client.get_json("issues", ISSUES)
        assert len(server.seen) == sent + 1  # one try: not even a one-second wait fits
