"""Slow pages (CONTRACT.md §0.6): Sentry's chunked search can take over 30 s. A page that times out
is retried, a bounded number of times."""

from __future__ import annotations

import threading

import pytest

from clientrig import scripted_servers
from hostile.badservers import ScriptedServer, json_reply
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.errors import SentryError


@pytest.fixture
def slow_first():
    """The first `slow` answers hang until the test ends (past any timeout); the rest come at once."""
    released = threading.Event()
    with scripted_servers() as start:
        def make(slow: int) -> ScriptedServer:
            def script(endpoint, params):
                if len(server.seen) <= slow:
                    released.wait(30)
                return json_reply([{"id": str(len(server.seen))}])
            server = start(script)
            return server

        yield make
        released.set()  # before the servers stop, which waits for their request threads


def test_a_page_that_timed_out_is_retried(slow_first):
    server = slow_first(1)
    # 1.5 s: room for the prompt second answer on a loaded machine; the first never comes in time.
    client = SentryClient(server.url, "sntryu_unit", timeout=1.5, sleep=lambda seconds: None)
    assert client.get_json("issues", "organizations/acme/issues/") == [{"id": "2"}]
    assert client.stats.copy()[0] == {("issues", "error"): 1, ("issues", "200"): 1}


def test_timeouts_are_retried_a_bounded_number_of_times(slow_first):
    server = slow_first(10)
    client = SentryClient(server.url, "sntryu_unit", timeout=0.2, max_attempts=3, sleep=lambda seconds: None)
    with pytest.raises(SentryError, match="gave up after 3 attempts"):
        client.get_json("issues", "organizations/acme/issues/")
    assert client.stats.copy()[0] == {("issues", "error"): 3}
