"""Link headers, cursors and hit counts as CONTRACT §2 describes them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from simapi import NOW, TOKEN, Api, parse_link

from sentry_simulator import FakeClock, Org, SimulatorServer, build_org

ISSUES = "organizations/acme/issues/"


def test_first_page_has_both_links_in_the_exact_template(api, server):
    response = api.get(ISSUES, {"query": "is:unresolved", "statsPeriod": "14d", "limit": 10})
    links = parse_link(response.headers["Link"])
    prev, nxt = links["previous"], links["next"]
    assert (prev["results"], nxt["results"]) == ("false", "true")
    for link in (prev, nxt):
        value, offset, is_prev = link["cursor"].split(":")
        assert value.lstrip("-").isdigit() and offset.isdigit() and is_prev in "01"
        base, _, cursor = link["url"].rpartition("&cursor=")
        assert cursor == link["cursor"]
        assert base == f"{server.url}/api/0/{ISSUES}?query=is%3Aunresolved&statsPeriod=14d&limit=10"
    assert prev["cursor"].endswith(":1") and nxt["cursor"].endswith(":0")


def test_no_query_string_gives_question_mark_ampersand(api, server):
    header = api.get("organizations/acme/projects/").headers["Link"]
    assert header.startswith(f"<{server.url}/api/0/organizations/acme/projects/?&cursor=100:0:1>; rel=\"previous\"")


def test_cursor_reuse_covers_every_issue_exactly_once(api, org):
    pages = api.all_pages(ISSUES, {"query": "is:unresolved", "statsPeriod": "14d", "limit": 37})
    ids = [issue["id"] for page in pages for issue in page.json()]
    assert len(ids) == len(set(ids))
    expected = {str(i.id) for i in org.issues.values() if i.status == "unresolved"
                and org.truth_issue_window(i.id, NOW - 14 * 86400, NOW).count}
    assert set(ids) == expected
    assert len(pages) == -(-len(expected) // 37)
    # Every later page's previous link has results, and the very last next link says false.
    assert all(parse_link(p.headers["Link"])["previous"]["results"] == "true" for p in pages[1:])


@pytest.mark.parametrize("sort", ["date", "new", "freq", "user"])
def test_every_sort_pages_without_gaps_or_repeats(api, sort):
    pages = api.all_pages(ISSUES, {"query": "", "statsPeriod": "90d", "sort": sort, "limit": 50})
    ids = [issue["id"] for page in pages for issue in page.json()]
    assert len(ids) == len(set(ids))
    single = api.json(ISSUES, {"query": "", "statsPeriod": "90d", "sort": sort, "limit": 100})
    assert ids[:100] == [issue["id"] for issue in single]


def test_sort_orders(api):
    def key_values(sort, field):
        return [issue[field] for issue in api.json(ISSUES, {"query": "", "sort": sort, "limit": 100})]
    assert key_values("date", "lastSeen") == sorted(key_values("date", "lastSeen"), reverse=True)
    freq = [int(c) for c in key_values("freq", "count")]
    assert freq == sorted(freq, reverse=True)
    users = key_values("user", "userCount")
    assert users == sorted(users, reverse=True)


def test_previous_cursor_returns_the_previous_page(api):
    params = {"query": "", "limit": 20}
    first = api.get(ISSUES, params)
    second = api.get(ISSUES, {**params, "cursor": parse_link(first.headers["Link"])["next"]["cursor"]})
    back = api.get(ISSUES, {**params, "cursor": parse_link(second.headers["Link"])["previous"]["cursor"]})
    assert [i["id"] for i in back.json()] == [i["id"] for i in first.json()]


def test_link_host_comes_from_public_url_not_the_request():
    org = build_org(unresolved=20, seed=5, now=NOW)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN, public_url="https://sentry.example.com") as srv:
        api = Api(srv)
        response = api.get(ISSUES, {"query": "", "limit": 5})
        nxt = parse_link(response.headers["Link"])["next"]
        assert nxt["url"].startswith("https://sentry.example.com/api/0/organizations/acme/issues/?")
        assert response.json()[0]["permalink"].startswith("https://sentry.example.com/organizations/acme/issues/")
        # The cursor alone, replayed against the real server, continues the listing.
        query = parse_qs(urlsplit(nxt["url"]).query)
        assert api.get(ISSUES, {"query": "", "limit": 5, "cursor": query["cursor"][0]}).status_code == 200


def test_x_hits_is_capped_at_1000(api):
    params = {"query": "is:unresolved level:fatal", "limit": 5}
    small = api.get(ISSUES, params)
    assert small.headers["X-Max-Hits"] == "1000"
    assert int(small.headers["X-Hits"]) == sum(len(page.json()) for page in api.all_pages(ISSUES, params)) > 5
    org = build_org(projects=1, unresolved=1200, resolved=0, seed=9, now=NOW)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        response = Api(srv).get(ISSUES, {"query": "", "limit": 1})
        assert (response.headers["X-Hits"], response.headers["X-Max-Hits"]) == ("1000", "1000")


def test_projects_use_offset_cursors():
    org = Org(slug="acme")
    for index in range(5):
        org.add_project(f"p{index}")
    with SimulatorServer(org, token=TOKEN) as srv:
        api = Api(srv)
        pages = api.all_pages("organizations/acme/projects/", {"per_page": 2})
        assert [[p["slug"] for p in page.json()] for page in pages] == [["p0", "p1"], ["p2", "p3"], ["p4"]]
        assert parse_link(pages[1].headers["Link"])["next"]["cursor"] == "2:2:0"


def test_empty_project_set_is_an_empty_list_without_link():
    with SimulatorServer(Org(slug="acme"), token=TOKEN) as srv:
        response = Api(srv).get(ISSUES)
        assert response.status_code == 200
        assert response.json() == []
        assert "Link" not in response.headers


def test_empty_result_still_has_both_links_with_false(api):
    response = api.get(ISSUES, {"query": "no-issue-has-this-title"})
    assert response.json() == []
    links = parse_link(response.headers["Link"])
    assert (links["previous"]["results"], links["next"]["results"]) == ("false", "false")
