"""Rate-limit headers and 429s as CONTRACT §3 describes them; none at all on self-hosted."""

from __future__ import annotations

import threading

from simapi import NOW, TOKEN, Api

from sentry_simulator import FakeClock, SimulatorServer, build_org

HEADERS = ("X-Sentry-Rate-Limit-Limit", "X-Sentry-Rate-Limit-Remaining", "X-Sentry-Rate-Limit-Reset",
           "X-Sentry-Rate-Limit-ConcurrentLimit", "X-Sentry-Rate-Limit-ConcurrentRemaining")
ORG = "organizations/acme/"


def _server(token=TOKEN, **kwargs):
    return SimulatorServer(build_org(unresolved=20, seed=4, now=NOW), clock=FakeClock(NOW), token=token, **kwargs)


def test_self_hosted_sends_no_rate_limit_headers_and_never_429s(api, server):
    responses = [api.get(ORG) for _ in range(30)]
    assert {r.status_code for r in responses} == {200}
    assert not any(name in r.headers for r in responses for name in HEADERS)


def test_fixed_one_second_window_per_endpoint():
    window_clock = FakeClock(2_000_000_000.4)
    with _server(rate_limit_per_second=3, rate_limit_clock=window_clock) as srv:
        api = Api(srv)
        responses = [api.get(ORG) for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        assert [r.headers["X-Sentry-Rate-Limit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
        for response in responses:
            assert response.headers["X-Sentry-Rate-Limit-Limit"] == "3"
            assert response.headers["X-Sentry-Rate-Limit-Reset"] == "2000000001"  # absolute epoch seconds
            assert "Retry-After" not in response.headers
        limited = responses[-1]
        assert limited.headers["Content-Type"] == "text/html; charset=utf-8"
        assert limited.json() == {"detail": "You are attempting to use this endpoint too frequently. "
                                            "Limit is 3 requests in 1 seconds"}
        # Another endpoint has its own window; the next second resets this one.
        assert api.get(ORG + "projects/").status_code == 200
        window_clock.advance(1)
        assert api.get(ORG).headers["X-Sentry-Rate-Limit-Remaining"] == "2"
        assert srv.requests_by_status() == {200: 5, 429: 1}


def test_windows_are_per_caller_token():
    window_clock = FakeClock(2_000_000_000.0)
    with _server(rate_limit_per_second=1, rate_limit_clock=window_clock, token=[TOKEN, "sntryu_other"]) as srv:
        assert Api(srv).get(ORG).status_code == 200
        assert Api(srv, token="sntryu_other").get(ORG).status_code == 200
        assert Api(srv).get(ORG).status_code == 429


def test_deprecated_project_issue_list_is_capped_at_5_per_second():
    window_clock = FakeClock(2_000_000_000.0)
    with _server(rate_limit_per_second=40, rate_limit_clock=window_clock) as srv:
        api = Api(srv)
        codes = [api.get("projects/acme/billing/issues/").status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        assert api.get(ORG).headers["X-Sentry-Rate-Limit-Limit"] == "40"


def test_per_endpoint_limits_by_name():
    with _server(rate_limit_per_second={"issues": 2}, rate_limit_clock=FakeClock(2_000_000_000.0)) as srv:
        api = Api(srv)
        assert "X-Sentry-Rate-Limit-Limit" not in api.get(ORG).headers
        assert [api.get(ORG + "issues/").status_code for _ in range(3)] == [200, 200, 429]


def test_concurrency_headers_and_limit():
    with _server(rate_limit_per_second=100, latency_seconds=0.3, concurrent_limit=2,
                 rate_limit_clock=FakeClock(2_000_000_000.0)) as srv:
        results = []

        def call():
            results.append(Api(srv).get(ORG))
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
