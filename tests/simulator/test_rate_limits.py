"""Rate limits as the middleware applies them (CONTRACT §0.3, §0.5, §3): a shared group-default bucket
per caller, JSON-string 429 bodies, and no headers at all on self-hosted."""

from __future__ import annotations

import threading

from simapi import NOW, TOKEN, Api

from sentry_simulator import FakeClock, SimulatorServer, build_org

HEADERS = ("X-Sentry-Rate-Limit-Limit", "X-Sentry-Rate-Limit-Remaining", "X-Sentry-Rate-Limit-Reset",
           "X-Sentry-Rate-Limit-ConcurrentLimit", "X-Sentry-Rate-Limit-ConcurrentRemaining")
ORG = "organizations/acme/"
PROJECTS = ORG + "projects/"
SHARED = (PROJECTS, ORG + "issues/")


def _server(token=TOKEN, **kwargs):
    return SimulatorServer(build_org(unresolved=20, seed=4, now=NOW), clock=FakeClock(NOW), token=token, **kwargs)


def test_self_hosted_sends_no_rate_limit_headers_and_never_429s(api, server):
    responses = [api.get(path) for path in SHARED for _ in range(10)]
    assert {r.status_code for r in responses} == {200}
    assert not any(name in r.headers for r in responses for name in HEADERS)


def test_fixed_one_second_window_with_a_json_string_body():
    window_clock = FakeClock(2_000_000_000.4)
    with _server(rate_limit_per_second=3, rate_limit_clock=window_clock) as srv:
        api = Api(srv)
        responses = [api.get(PROJECTS) for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert [r.headers["X-Sentry-Rate-Limit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
        for response in responses:
            assert response.headers["X-Sentry-Rate-Limit-Limit"] == "3"
            assert response.headers["X-Sentry-Rate-Limit-Reset"] == "2000000001"  # absolute epoch seconds
            assert "Retry-After" not in response.headers
        limited = responses[-1]
        assert limited.headers["Content-Type"] == "text/html; charset=utf-8"
        assert limited.json() == "You are attempting to use this endpoint too frequently. Limit is 3 requests in 1 seconds"
        # The concurrency check is skipped once the window is spent.
        assert limited.headers["X-Sentry-Rate-Limit-ConcurrentRemaining"] == "None"
        window_clock.advance(1)
        assert api.get(PROJECTS).headers["X-Sentry-Rate-Limit-Remaining"] == "2"
        assert srv.requests_by_status() == {200: 4, 429: 1}


def test_issues_sessions_and_projects_share_one_bucket():
    with _server(rate_limit_per_second=3, rate_limit_clock=FakeClock(2_000_000_000.0)) as srv:
        api = Api(srv)
        sessions = (ORG + "sessions/", {"field": "sum(session)", "statsPeriod": "1h"})
        answers = [api.get(path) for path in SHARED] + [api.get(*sessions), api.get(PROJECTS)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert [r.headers["X-Sentry-Rate-Limit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
        # stats_v2 (20/s, organization_stats_v2.py) and releases (40/s, releases/endpoints/
        # organization_releases.py) have limits of their own, so buckets of their own.
        stats = api.get(ORG + "stats_v2/", {"field": "sum(quantity)", "groupBy": "category", "statsPeriod": "1h"})
        assert stats.status_code == 200 and stats.headers["X-Sentry-Rate-Limit-Remaining"] == "2"
        releases = api.get(ORG + "releases/")
        assert releases.status_code == 200 and releases.headers["X-Sentry-Rate-Limit-Remaining"] == "2"


def test_own_bucket_limit_is_the_source_limit_when_lower():
    with _server(rate_limit_per_second=40, rate_limit_clock=FakeClock(2_000_000_000.0)) as srv:
        stats = Api(srv).get(ORG + "stats_v2/", {"field": "sum(quantity)", "groupBy": "category"})
        assert stats.headers["X-Sentry-Rate-Limit-Limit"] == "20"
        assert Api(srv).get(PROJECTS).headers["X-Sentry-Rate-Limit-Limit"] == "40"


def test_user_tokens_count_per_user_and_org_tokens_per_ip():
    window_clock = FakeClock(2_000_000_000.0)
    tokens = [TOKEN, "sntryu_other", "sntrys_org_one", "sntrys_org_two"]
    with _server(rate_limit_per_second=1, rate_limit_clock=window_clock, token=tokens) as srv:
        assert Api(srv).get(PROJECTS).status_code == 200
        assert Api(srv, token="sntryu_other").get(PROJECTS).status_code == 200
        assert Api(srv).get(PROJECTS).status_code == 429
        # Two org tokens from one address share the IP's bucket.
        assert Api(srv, token="sntrys_org_one").get(ORG + "releases/").status_code == 200
        assert Api(srv, token="sntrys_org_two").get(ORG + "releases/").status_code == 429


def test_concurrency_headers_and_limit():
    with _server(rate_limit_per_second=100, latency_seconds=0.3, concurrent_limit=2,
                 rate_limit_clock=FakeClock(2_000_000_000.0)) as srv:
        results = []

        def call():
            results.append(Api(srv).get(PROJECTS))
        threads = [threading.Thread(target=call) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 200, 429]
        (limited,) = [r for r in results if r.status_code == 429]
        assert "concurrency" in limited.json()["detail"]
        assert all(r.headers["X-Sentry-Rate-Limit-ConcurrentLimit"] == "2" for r in results)


def test_an_endpoint_without_a_concurrency_limit_reports_none():
    with _server(rate_limit_per_second=10, concurrent_limit=None, rate_limit_clock=FakeClock(2_000_000_000.0)) as srv:
        headers = Api(srv).get(PROJECTS).headers
        assert headers["X-Sentry-Rate-Limit-ConcurrentLimit"] == headers["X-Sentry-Rate-Limit-ConcurrentRemaining"] == "None"
