"""Faults in the middle of long work: a retry is paid for by the time it waits, not by the time the
listing took before it; and a request that fails in an unexpected way gives its concurrency slot back."""

from __future__ import annotations

import threading

import pytest

from sentry_exporter.sentry.client import SentryClient
from sentry_simulator import FakeClock, Org, SimulatorServer
from tools import TOKEN

ISSUES = "organizations/acme/issues/"


@pytest.fixture
def big_org() -> Org:
    clock = FakeClock(1_773_144_000.0)
    org = Org(slug="acme", created=1_700_000_000.0)
    org.add_project("api", project_id="1")
    for i in range(3000):
        issue = org.create_issue("api")
        org.record_events(issue.id, 1, at=clock() - 60 - i)
    org.clock = clock
    return org


def test_a_503_late_in_a_listing_that_outlived_its_interval_is_retried(big_org):
    """3,000 issues, 30 pages at 0.1 s each, a 2 s interval: page 26 answers 503 once. The listing has
    taken 2.5 s by then, but it has waited for nothing yet, so the retry fits in the interval."""
    server = SimulatorServer(big_org, token=TOKEN, clock=big_org.clock, latency_seconds=0.1).start()
    client = SentryClient(server.url, TOKEN, requests_per_second=1000, max_attempts=4)
    try:
        server.faults.set(status=503, count=1, endpoint="issues", after=25)
        with client.deadline(2.0):
            listed = [issue for page, _ in client.pages("issues", ISSUES, {"query": "is:unresolved",
                                                                         "statsPeriod": "14d", "project": "-1"})
                      for issue in page]
    finally:
        client.close()
        server.stop()
    assert len({issue["id"] for issue in listed}) == 3000
    assert server.requests_by_status("issues")[503] == 1


def test_a_token_requests_cannot_send_does_not_keep_a_slot():
    """A token with a byte-order mark makes http.client raise UnicodeEncodeError, which is no
    RequestException. Each poll must give its concurrency slot back: with two slots, the third poll
    once waited for ever."""
    from sentry_exporter.app import Exporter
    from sentry_exporter.config import Config

    clock = FakeClock(1_773_144_000.0)
    org = Org(slug="acme", created=1_700_000_000.0)
    org.add_project("api", project_id="1")
    bom_token = "\ufeff" + TOKEN
    with SimulatorServer(org, token=TOKEN, clock=clock) as server:
        client = SentryClient(server.url, bom_token, requests_per_second=1000, max_attempts=1)
        exporter = Exporter(Config(sentry_url=server.url, org="acme", token=TOKEN, releases_per_project=0),
                            client=client, clock=clock)
        issues = next(job.poller for job in exporter.jobs if job.poller.name == "issues")
        outcomes: list[bool] = []
        polls = threading.Thread(target=lambda: outcomes.extend(exporter.run_poller(issues) for _ in range(3)),
                                 daemon=True)
        polls.start()
        polls.join(timeout=30)
        client.close()
    assert not polls.is_alive(), "the third poll waited for a concurrency slot that was never given back"
    assert outcomes == [False, False, False]
    assert server.requests() == []  # nothing was sent: the header could not be encoded
