"""Headroom per shared bucket, as Sentry counts it (CONTRACT.md §0.5; buckets.py cites the source):
the issues index, projects and sessions draw on one "default" bucket; stats_v2, events and releases
have their own. Self-hosted sends no headers: no headroom is known, and our own spacing still holds."""

from __future__ import annotations

import pytest

from clientrig import NOW, FakeTime, scripted_servers
from hostile.badservers import Reply
from sentry_exporter.sentry.buckets import bucket_of
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.pacing import Pacer


def window_headers(limit: int, remaining: int, reset: float, concurrent: str = "24") -> dict[str, str]:
    """Sentry's headers, with its Date at NOW: Reset is read against it (the fake clock starts there)."""
    return {"X-Sentry-Rate-Limit-Limit": str(limit), "X-Sentry-Rate-Limit-Remaining": str(remaining),
            "X-Sentry-Rate-Limit-Reset": str(int(reset)), "X-Sentry-Rate-Limit-ConcurrentLimit": "25",
            "X-Sentry-Rate-Limit-ConcurrentRemaining": concurrent, "Date": FakeTime(NOW).date()}


@pytest.mark.parametrize("path, bucket", [
    ("organizations/acme/issues/", "default"),
    ("organizations/acme/projects/", "default"),
    ("organizations/acme/sessions/", "default"),
    ("organizations/acme/stats_v2/", "stats_v2"),
    ("organizations/acme/events/", "events"),
    ("organizations/acme/releases/", "releases"),
    ("/organizations/releases/issues/", "default"),  # an org named like a bucket
])
def test_each_path_maps_to_the_bucket_sentry_counts_it_in(path, bucket):
    assert bucket_of(path) == bucket


@pytest.fixture
def headed():
    """A server whose every answer carries `headers[endpoint]`."""
    with scripted_servers() as start:
        yield lambda headers: start(lambda endpoint, params: Reply(200, b"[]", {"Content-Type": "application/json",
                                                                               **headers.get(endpoint, {})}))


def test_an_exhausted_issues_window_holds_back_projects_and_sessions_too(headed):
    fake = FakeTime()
    server = headed({"issues": window_headers(40, 0, NOW + 2)})
    client = SentryClient(server.url, "sntryu_unit", requests_per_second=1000, clock=fake.clock, sleep=fake.sleep)
    client.get_json("issues", "organizations/acme/issues/")
    client.get_json("projects", "organizations/acme/projects/")
    assert sum(fake.slept) >= 2.0  # the shared bucket was empty until its Reset
    windows = client.pacer.windows()
    assert set(windows) == {"default"}
    assert (windows["default"].limit, windows["default"].remaining) == (40, 40)  # a new window has opened


def test_buckets_of_their_own_are_tracked_apart(headed):
    fake = FakeTime()
    server = headed({"stats_v2": window_headers(20, 0, NOW + 5), "issues": window_headers(40, 31, NOW + 1)})
    client = SentryClient(server.url, "sntryu_unit", requests_per_second=1000, clock=fake.clock, sleep=fake.sleep)
    client.get_json("stats_v2", "organizations/acme/stats_v2/")
    client.get_json("issues", "organizations/acme/issues/")
    assert sum(fake.slept) < 0.1  # an empty stats_v2 window does not hold back the issues index
    windows = client.pacer.windows()
    assert {name: (w.limit, w.remaining) for name, w in windows.items()} == {"stats_v2": (20, 0),
                                                                             "default": (40, 31)}


def test_concurrent_remaining_none_clears_what_was_known():
    fake = FakeTime()
    pacer = Pacer(100, clock=fake.clock, sleep=fake.sleep)
    for concurrent in ("3", "None"):
        pacer.acquire("default")
        pacer.release("default", window_headers(40, 30, NOW + 1, concurrent=concurrent))
    assert pacer.windows()["default"].concurrent_remaining is None


def test_self_hosted_exports_no_headroom_and_still_spaces_every_request():
    fake = FakeTime()
    pacer = Pacer(2, clock=fake.clock, sleep=fake.sleep)  # SENTRY_MAX_REQUESTS_PER_SECOND=2
    sent = []
    for bucket in ("default", "stats_v2", "default", "events"):
        pacer.acquire(bucket)
        sent.append(fake.now)
        pacer.release(bucket, {})  # self-hosted: no X-Sentry-Rate-Limit-* headers at all
    assert pacer.windows() == {}
    assert [round(b - a, 3) for a, b in zip(sent, sent[1:])] == [0.5, 0.5, 0.5]  # one clock for all buckets
