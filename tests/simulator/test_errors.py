"""Error responses carry Sentry's exact bodies (CONTRACT §1), and injected faults behave as advertised."""

from __future__ import annotations

import time

import pytest
import requests
from simapi import NOW, TOKEN, Api

from sentry_simulator import FakeClock, SimulatorServer, build_org

ISSUES = "organizations/acme/issues/"


@pytest.mark.parametrize("authorization, detail", [
    (None, "Authentication credentials were not provided."),
    ("Bearer", "Invalid token header. No credentials provided."),
    ("Bearer two words", "Invalid token header. Token string should not contain spaces."),
    ("Bearer sntryu_wrong", "Invalid token"),
    ("Token " + TOKEN, "Authentication credentials were not provided."),
])
def test_401_bodies(server, authorization, detail):
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(f"{server.url}/api/0/{ISSUES}", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize("path, params", [
    ("organizations/nope/issues/", None),
    ("organizations/nope/projects/", None),
    (ISSUES, {"environment": "no-such-env"}),
    ("organizations/acme/events/", {"field": "count()", "environment": "no-such-env"}),
])
def test_404_for_unknown_org_project_or_environment(api, path, params):
    response = api.get(path, params)
    assert response.status_code == 404
    assert response.json() == {"detail": "The requested resource does not exist"}


def test_an_unmatched_path_answers_as_sentrys_catchall_and_djangos_404(server):
    """Under /api/0/, Sentry's CatchallEndpoint (src/sentry/api/endpoints/catchall.py): no body, or a
    text hint without the trailing slash; elsewhere Django's HTML page (django/views/defaults.py)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    bare = requests.get(f"{server.url}/api/0/organizations/acme/no-such-route/", headers=auth, timeout=5)
    assert (bare.status_code, bare.content) == (404, b"")
    hint = requests.get(f"{server.url}/api/0/organizations/acme/issues", headers=auth, timeout=5)
    assert hint.status_code == 404 and hint.headers["Content-Type"] == "text/plain"
    assert hint.text.startswith("Route not found, did you forget a trailing slash?\n\ntry: /api/0/organizations/")
    as_json = requests.get(f"{server.url}/api/0/organizations/acme/issues",
                           headers={**auth, "Content-Type": "application/json"}, timeout=5)
    assert as_json.json() == {"info": "Route not found, did you forget a trailing slash? "
                                      "try: /api/0/organizations/acme/issues/"}
    page = requests.get(f"{server.url}/sentry/api/0/organizations/acme/issues/", headers=auth, timeout=5)
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert "<title>Not Found</title>" in page.text
    assert "The requested resource was not found on this server." in page.text


def test_an_injected_html_error_page_is_titled_by_its_status(server):
    server.faults.set(status=404, html_error=True, count=1)
    page = requests.get(f"{server.url}/api/0/{ISSUES}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert page.status_code == 404 and "<title>404 Not Found</title>" in page.text


def test_403_for_a_project_id_outside_the_org(api):
    response = api.get(ISSUES, {"project": "123"})
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


@pytest.mark.parametrize("path, params, detail", [
    (ISSUES, {"cursor": "abc"}, "Invalid cursor parameter."),
    (ISSUES, {"cursor": "1:2"}, "Invalid cursor parameter."),
    (ISSUES, {"cursor": "1:2:x"}, "Invalid cursor parameter."),
    (ISSUES, {"statsPeriod": "2 weeks"}, "Invalid statsPeriod: '2 weeks'"),
    (ISSUES, {"groupStatsPeriod": "7d"}, "Invalid stats_period. Valid choices are '', '24h', and '14d'"),
    ("organizations/acme/projects/", {"per_page": "0"}, "Invalid per_page value. Must be between 1 and 100."),
    ("organizations/acme/projects/", {"per_page": "101"}, "Invalid per_page value. Must be between 1 and 100."),
    ("organizations/acme/releases/", {"per_page": "500"}, "Invalid per_page value. Must be between 1 and 100."),
    ("organizations/acme/stats_v2/", {"groupBy": "outcome", "category": "error"}, 'At least one "field" is required.'),
    ("organizations/acme/stats_v2/", {"field": "sum(quantity)", "groupBy": "outcome"},
     "Query must have category as groupby or filter"),
    ("organizations/acme/stats_v2/", {"field": "sum(bytes)", "groupBy": "category"}, 'Invalid field: "sum(bytes)"'),
    ("organizations/acme/stats_v2/", {"field": "sum(quantity)", "groupBy": "team"}, 'Invalid groupBy: "team"'),
    ("organizations/acme/stats_v2/", {"field": "sum(quantity)", "category": "errors"}, 'Invalid category: "errors"'),
    ("organizations/acme/stats_v2/", {"field": "sum(quantity)", "category": "error", "outcome": "dropped"},
     'Invalid outcome: "dropped"'),
    ("organizations/acme/stats_v2/", {"field": "sum(quantity)", "category": "error", "statsPeriod": "90d",
                                      "interval": "1m"},
     "Your interval and date range would create too many results. Use a larger interval, or a smaller date range."),
    ("organizations/acme/sessions/", {"groupBy": "project"}, 'Request is missing a "field"'),
    ("organizations/acme/sessions/", {"field": "sum(session)", "interval": "30m"},
     "The interval has to be a multiple of the minimum interval of one hour."),
])
def test_400_bodies(api, path, params, detail):
    response = api.get(path, params)
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": detail}


def test_400_for_an_unparsable_issue_query(api):
    response = api.get(ISSUES, {"query": "is:sleeping"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Error parsing search query:")


def test_limit_above_100_is_clamped_silently(api):
    response = api.get(ISSUES, {"query": "", "limit": "500"})
    assert response.status_code == 200
    assert len(response.json()) == 100


@pytest.fixture()
def fresh():
    org = build_org(unresolved=30, resolved=0, seed=3, now=NOW)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        yield srv, Api(srv)


def test_status_fault_counts_down_then_clears(fresh):
    server, api = fresh
    server.faults.set(status=500, count=2)
    first, second, third = (api.get("organizations/acme/projects/") for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [500, 500, 200]
    assert first.json()["detail"] == "Internal Error"
    assert len(first.json()["errorId"]) == 32 and int(first.json()["errorId"], 16) >= 0
    assert server.requests_by_status() == {500: 2, 200: 1}


def test_fault_filtered_by_endpoint_and_unlimited_until_cleared(fresh):
    server, api = fresh
    server.faults.set(status=503, endpoint="issues")
    assert api.get("organizations/acme/projects/").status_code == 200
    assert [api.get(ISSUES).status_code for _ in range(3)] == [503, 503, 503]
    server.faults.clear()
    assert api.get(ISSUES).status_code == 200


def test_injected_429_has_rate_limit_body_and_no_retry_after(fresh):
    server, api = fresh
    server.faults.set(status=429, count=1)
    response = api.get(ISSUES)
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.json().startswith("You are attempting to use this endpoint too frequently.")  # a string
    assert "Retry-After" not in response.headers
    assert int(response.headers["X-Sentry-Rate-Limit-Reset"]) > time.time() - 2


def test_html_error_page(fresh):
    server, api = fresh
    server.faults.set(html_error=True, count=1)
    response = api.get(ISSUES)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()


def test_malformed_json_is_truncated(fresh):
    server, api = fresh
    server.faults.set(malformed=True, count=1)
    response = api.get(ISSUES, {"query": ""})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert api.get(ISSUES, {"query": ""}).json()


def test_reset_drops_the_connection_mid_body(fresh):
    server, api = fresh
    server.faults.set(reset=True, count=1)
    with pytest.raises(requests.exceptions.RequestException):
        api.get(ISSUES, {"query": ""}).json()
    assert api.get(ISSUES, {"query": ""}).status_code == 200
    assert [r.fault for r in server.request_log] == ["reset", None]


def test_slow_fault_delays_the_answer(fresh):
    server, api = fresh
    server.faults.set(slow_seconds=0.5, count=1)
    started = time.monotonic()
    assert api.get("organizations/acme/projects/").status_code == 200
    assert time.monotonic() - started >= 0.5
    with pytest.raises(requests.exceptions.Timeout):
        server.faults.set(slow_seconds=1.0, count=1)
        api.session.get(f"{server.url}/api/0/organizations/acme/projects/", timeout=0.2)


def test_request_log_records_endpoint_params_and_status(fresh):
    server, api = fresh
    api.get(ISSUES, {"query": "is:unresolved", "environment": ["production", "staging"]})
    api.get("organizations/acme/stats_v2/", {"field": "sum(quantity)"})
    issues, stats = server.request_log
    assert (issues.endpoint, issues.status, issues.params["environment"]) == ("issues", 200, ["production", "staging"])
    assert issues.param("query") == "is:unresolved"
    assert (stats.endpoint, stats.status) == ("stats_v2", 400)
    assert server.requests_by_endpoint() == {"issues": 1, "stats_v2": 1}
