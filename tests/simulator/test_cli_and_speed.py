"""The standalone command works, and the simulator pages the 50k-issue benchmark org correctly."""

from __future__ import annotations

import re
import subprocess
import sys

import requests
from simapi import NOW, TOKEN, Api
from tools import inherited_env

from sentry_simulator import Behaviour, FakeClock, SimulatorServer, build_org


def test_standalone_command_prints_url_and_token_and_serves():
    process = subprocess.Popen([sys.executable, "-m", "sentry_simulator", "--port", "0", "--issues", "50",
                                "--token", "sntryu_cli", "--rate-limit", "10"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=inherited_env())
    try:
        line = process.stdout.readline()
        match = re.fullmatch(r"SENTRY_URL=(http://127\.0\.0\.1:\d+) SENTRY_AUTH_TOKEN=(\S+) SENTRY_ORG=(\S+)\n", line)
        assert match, line
        url, token, org = match.groups()
        response = requests.get(f"{url}/api/0/organizations/{org}/issues/", params={"query": "is:unresolved"},
                                headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 200 and len(response.json()) == 50 + 7  # + regressed, escalating, 5 new
        assert response.headers["X-Sentry-Rate-Limit-Limit"] == "10"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_standalone_command_rejects_bad_input_in_one_line():
    result = subprocess.run([sys.executable, "-m", "sentry_simulator", "--rate-limit", "0"],
                            capture_output=True, text=True, timeout=30, env=inherited_env())
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--rate-limit" in result.stderr and "Traceback" not in result.stderr


def test_standalone_switches_reach_the_server():
    from sentry_simulator.__main__ import behaviour_from, parse_args
    behaviour = behaviour_from(parse_args(["--old-self-hosted", "--no-discover", "--listing-cut", "150"]))
    assert (behaviour.errors_dataset, behaviour.priority, behaviour.discover, behaviour.global_views,
            behaviour.listing_cut) == (False, False, False, True, 150)
    assert behaviour_from(parse_args([])) == Behaviour()
    result = subprocess.run([sys.executable, "-m", "sentry_simulator", "--listing-cut", "-1"],
                            capture_output=True, text=True, timeout=30, env=inherited_env())
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--listing-cut" in result.stderr


def test_a_50k_org_pages_every_issue_once_in_sort_new_order():
    """The 50k org the benchmark uses pages correctly; how fast it builds and pages is bench/simulator.py's."""
    org = build_org(projects=5, unresolved=50_000, resolved=0, ignored=0, seed=1, now=NOW)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        api = Api(srv)
        params = {"query": "is:unresolved", "statsPeriod": "14d", "limit": 100, "sort": "new"}
        first = api.get("organizations/acme/issues/", params)
        assert first.headers["X-Hits"] == "1000" and len(first.json()) == 100  # X-Hits is capped, as in Sentry
        seen, firsts, response = [], [], first
        for _ in range(40):
            page = response.json()
            assert len(page) == 100
            seen += [issue["id"] for issue in page]
            firsts += [issue["firstSeen"] for issue in page]
            cursor = re.search(r'rel="next"; results="true"; cursor="([^"]+)"', response.headers["Link"]).group(1)
            response = api.get("organizations/acme/issues/", dict(params, cursor=cursor))
        assert len(set(seen)) == len(seen) == 4000
        assert firsts == sorted(firsts, reverse=True)
