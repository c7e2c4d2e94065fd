"""The real sentry-exporter process against the simulator: truth, failures, recovery, secrecy."""

import json
import subprocess
import time

import pytest
import requests

from sentry_exporter.pollers.stats import billing_period_start
from tools import EXPORTER, TOKEN, assignee_label, child_env, sample_values, wait_for

PERIOD_14D = 14 * 86400
ORG_TOKEN = "sntrys_valid_org_token_0123456789"  # an org auth token this Sentry knows


def issue_counts(exposition):
    return {tuple(v for k, v in sorted(labels) if k in ("project", "level", "substatus", "priority", "assignee")):
            value for labels, value in sample_values(exposition, "sentry_issues").items()}


def expected_counts(org, flavor: str = "sentry"):
    """The truth as the exporter can know it: GlitchTip's issues have no substatus, priority or assignee
    (its IssueSchema), so those labels are empty, which Prometheus reads as absent."""
    truth = org.truth_unresolved(PERIOD_14D, time.time(), assignee_label=assignee_label)
    # sample_values sorts labels by name: assignee, level, priority, project, substatus
    expected: dict = {}
    for (proj, lvl, sub, pri, a), n in truth.items():
        key = (a, lvl, pri, proj, sub) if flavor == "sentry" else ("", lvl, "", proj, "")
        expected[key] = expected.get(key, 0.0) + n
    return expected


def value(exposition, name, **labels):
    for key, v in sample_values(exposition, name).items():
        if all((k, str(want)) in key for k, want in labels.items()):
            return v
    return None


@pytest.mark.parametrize("flavor", ["sentry", "glitchtip"])
def test_counts_equal_the_simulator_truth_across_pages(make_sim, make_exporter, flavor):
    """The server's kind detected by the process itself; /readyz 200 (wait_ready) and sentry_up 1 once
    every poller it can serve has polled."""
    org, server = make_sim(public_url="https://sentry.example.invalid", flavor=flavor)  # links name the wrong host
    exporter = make_exporter(server).wait_ready()
    text = exporter.metrics()
    expected = expected_counts(org, flavor)
    assert issue_counts(text) == expected
    assert sum(expected.values()) > 400
    assert value(text, "sentry_up") == 1.0
    assert value(text, "sentry_issues_truncated", query="default") == 0.0
    assert value(text, "sentry_exporter_demo") == 0.0
    assert value(text, "sentry_server_info", flavor=flavor, source="detected") == 1.0
    issue_calls = [r for r in server.request_log if r.endpoint == "issues"]
    assert len(issue_calls) >= 5  # over 400 issues are at least 5 pages of 100
    assert all(r.params.get("query") == ["is:unresolved"] for r in issue_calls), "the query must be explicit"


def test_top_issues_and_info(make_sim, make_exporter):
    org, server = make_sim()
    text = make_exporter(server, SENTRY_TOP_ISSUES="5").wait_ready().metrics()
    top = org.truth_top_issues(PERIOD_14D, time.time(), n=5)
    events = sample_values(text, "sentry_issue_window_events")
    assert len(events) == 5
    for issue in top:
        stats = org.truth_issue_window(issue.id, time.time() - PERIOD_14D, time.time())
        assert value(text, "sentry_issue_window_events", issue=issue.short_id) == stats.count
    info = sample_values(text, "sentry_issue_info")
    assert {dict(k)["issue"] for k in info} == {i.short_id for i in top}


@pytest.mark.parametrize("flavor", ["sentry", "glitchtip"])
def test_stats_counter_equals_truth_and_survives_a_restart(make_sim, make_exporter, flavor):
    org, server = make_sim(flavor=flavor)
    before = time.time()
    # An outcome now, so the period counted is never empty unless it began since (then it is seconds old).
    org.record_outcome(next(iter(org.projects)), "error", "accepted", 3, at=before)
    first = make_exporter(server).wait_ready()
    text = first.metrics()
    # The period the exporter counted: a run that crosses the 1st at midnight may have polled in either.
    start = value(text, "sentry_quota_period_start_timestamp_seconds")
    assert start in {billing_period_start(before, 1), billing_period_start(time.time(), 1)}
    truth = org.truth_outcomes(start, time.time() + 3600)
    got = {tuple(dict(k)[n] for n in ("project", "category", "outcome")): v
           for k, v in sample_values(text, "sentry_events_total").items()}
    # attachments are bytes, not events: they are deliberately not in sentry_events_total; GlitchTip
    # counts accepted errors and transactions only (apps/stats/schema.py)
    served = (lambda k: k[1] != "attachment") if flavor == "sentry" else \
        (lambda k: k[1] in ("error", "transaction") and k[2] == "accepted")
    assert {k: v for k, v in got.items() if v or flavor == "sentry"} == \
        {k: float(v) for k, v in truth.items() if served(k)}
    assert got or start > before, "the simulator org has outcomes this period"
    first.stop()
    second = make_exporter(server).wait_ready()
    text = second.metrics()
    again = {tuple(dict(k)[n] for n in ("project", "category", "outcome")): v
             for k, v in sample_values(text, "sentry_events_total").items()}
    if value(text, "sentry_quota_period_start_timestamp_seconds") == start:  # not a new period since
        assert again == got  # recomputed, not restarted from zero and not counted twice


def test_outage_keeps_serving_last_values_then_recovers(make_sim, make_exporter):
    org, server = make_sim()
    exporter = make_exporter(server, SENTRY_TIMEOUT_SECONDS="1").wait_ready()
    before = issue_counts(exporter.metrics())
    for fault in ({"status": 500}, {"malformed": True}, {"slow_seconds": 2.5}, {"status": 429}):
        server.faults.set(**fault)
        wait_for(lambda: value(exporter.metrics(), "sentry_up") == 0.0, 30, what=f"sentry_up 0 under {fault}")
        t0 = time.monotonic()
        text = exporter.metrics()
        assert time.monotonic() - t0 < 0.5, "a scrape must not wait for Sentry"
        assert issue_counts(text) == before, "the last good values stay"
        assert requests.get(f"{exporter.url}/healthz", timeout=2).status_code == 200
        server.faults.clear()
        wait_for(lambda: value(exporter.metrics(), "sentry_up") == 1.0, 30, what=f"recovery after {fault}")


def test_rejected_token_is_reported_once_with_scopes(make_sim, make_exporter):
    """A valid org auth token (sntrys_, scope org:ci: CONTRACT.md §0.2) is refused with 403s, not the
    401 of an unknown token: each refused poller says it once, with what an org token lacks and the
    scopes a reading token needs."""
    org, server = make_sim()
    server.tokens.add(ORG_TOKEN)  # known to this Sentry: refused for lack of scope (403), not unknown (401)
    exporter = make_exporter(server, SENTRY_AUTH_TOKEN=ORG_TOKEN)
    wait_for(lambda: value(exporter.metrics(), "sentry_poll_success", poller="issues") == 0.0, 20,
             what="a failed poll")
    time.sleep(2.5)  # several more polls fail
    assert server.requests_by_status("issues")[403] >= 2 and not server.requests(status=401)
    assert requests.get(f"{exporter.url}/readyz", timeout=2).status_code == 503
    _, err = exporter.stop()
    rejected = [json.loads(line) for line in err.splitlines() if "rejected the token" in line]
    assert {line["poller"] for line in rejected} >= {"issues", "stats"}, err
    assert all("HTTP 403" in line["msg"] and "org:ci" in line["msg"] and "org:read, project:read, event:read"
               in line["msg"] for line in rejected), err
    assert len(rejected) == len({line["poller"] for line in rejected}), "a poller said it more than once"
    assert ORG_TOKEN not in err


def test_once_prints_the_exposition(make_sim):
    org, server = make_sim()
    env = child_env(SENTRY_URL=server.url, SENTRY_AUTH_TOKEN=TOKEN, SENTRY_ORG="acme")
    proc = subprocess.run([EXPORTER, "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert issue_counts(proc.stdout) == expected_counts(org)
    server.faults.set(status=500)
    proc = subprocess.run([EXPORTER, "--once"], env={**env, "SENTRY_TIMEOUT_SECONDS": "1"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert 'sentry_up{org="acme"} 0.0' in proc.stdout
    assert TOKEN not in proc.stdout + proc.stderr


def test_no_429_in_steady_state_under_a_5_per_second_limit(make_sim, make_exporter):
    from sentry_simulator import build_org
    org, server = make_sim(build_org(slug="acme", projects=3, unresolved=1500, seed=3), rate_limit_per_second=5)
    exporter = make_exporter(server, SENTRY_MAX_REQUESTS_PER_SECOND="20")  # only Sentry's headers hold it back
    wait_for(lambda: len([r for r in server.request_log if r.endpoint == "issues"]) >= 45, 60,
             what="three full polls")
    statuses = [r.status for r in server.request_log]
    assert statuses.count(429) == 0, f"{statuses.count(429)} of {len(statuses)} requests were rate limited"
    assert value(exporter.metrics(), "sentry_api_rate_limit_limit", bucket="default") == 5.0
