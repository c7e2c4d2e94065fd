"""Lifecycle counters: transitions and event growth between polls, with no burst after a restart."""

import json
import time

import pytest

from tools import sample_values, wait_for


def counter(text, name, **labels):
    return sum(v for k, v in sample_values(text, name).items() if all((a, b) in k for a, b in labels.items()))


def polls(server):
    return len([r for r in server.request_log if r.endpoint == "issues"])


def test_transitions_and_event_growth_follow_the_org(make_sim, make_exporter):
    org, server = make_sim()
    # A full listing every poll: a resolution shows at the next poll (incremental: the next reconciliation)
    exporter = make_exporter(server, SENTRY_POLL_INTERVAL_SECONDS="1", SENTRY_RECONCILE_INTERVAL_SECONDS="0").wait_ready()
    baseline = exporter.metrics()
    # the first poll only sets the baseline: no phantom burst
    assert counter(baseline, "sentry_issue_transitions_total") == 0
    assert counter(baseline, "sentry_issue_events_total") == 0

    now = time.time()
    old = next(i for i in org.issues.values() if i.status == "unresolved" and i.substatus == "ongoing"
               and i.project.slug == "billing")
    # its first event is 5 s old when it becomes visible (ingestion lag): several polls have started since
    fresh = org.create_issue("billing", level="fatal", created=now - 5)
    org.record_events(fresh.id, n=7, at=now - 5, environment="production")
    org.record_events(old.id, n=11, at=now, environment="production")
    org.set_status(old.id, "unresolved", substatus="regressed", at=now)
    leaving = next(i for i in org.issues.values() if i.status == "unresolved" and i.project.slug == "api-backend")
    org.set_status(leaving.id, "resolved", at=now)

    def settled():
        # a poll that was half-way through its pages when the org changed may see only part of it
        text = exporter.metrics()
        seen = {t: counter(text, "sentry_issue_transitions_total", transition=t) for t in ("new", "regressed", "left")}
        return text if all(seen.values()) else None

    text = wait_for(settled, 20, what="a poll that saw every change")
    assert counter(text, "sentry_issue_transitions_total", project="billing", level="fatal", transition="new") == 1
    assert counter(text, "sentry_issue_transitions_total", project="billing", transition="regressed") == 1
    assert counter(text, "sentry_issue_transitions_total", project="api-backend", transition="left") == 1
    assert counter(text, "sentry_issue_events_total", project="billing", level="fatal") >= 7
    assert counter(text, "sentry_issue_events_total", project="billing") == 7 + 11
    assert counter(text, "sentry_issue_transitions_total") == 3

    # nothing changes: more polls add nothing
    seen = polls(server)
    wait_for(lambda: polls(server) >= seen + 6, 20, what="two more polls")
    assert counter(exporter.metrics(), "sentry_issue_events_total") == 18
    assert counter(exporter.metrics(), "sentry_issue_transitions_total") == 3

    # each transition is one JSON log line (Grafana annotates from these through Loki)
    _, err = exporter.stop()
    lines = [json.loads(line) for line in err.splitlines() if '"issue_transition"' in line]
    assert {(e["transition"], e["issue"]) for e in lines} == {("new", fresh.short_id), ("regressed", old.short_id)}
    assert all(e["trace_id"] for e in lines)


@pytest.mark.parametrize("flavor", ["sentry", "glitchtip"])
def test_new_24h_gauge_equals_truth(make_sim, make_exporter, flavor):
    org, server = make_sim(flavor=flavor)
    text = make_exporter(server).wait_ready().metrics()
    truth = org.truth_new_24h(time.time())
    got = {dict(k)["project"]: v for k, v in sample_values(text, "sentry_issues_new_24h").items()}
    assert got == {k: float(v) for k, v in truth.items()}
    assert sum(got.values()) > 0


@pytest.mark.parametrize("flavor", ["sentry", "glitchtip"])
def test_with_environments_transitions_say_where(make_sim, make_exporter, flavor):
    org, server = make_sim(flavor=flavor)
    # GlitchTip: per-environment events from each issue's environment tags, one call per issue at start
    faster = {"SENTRY_MAX_REQUESTS_PER_SECOND": "100"} if flavor == "glitchtip" else {}
    exporter = make_exporter(server, SENTRY_ENVIRONMENTS="production,staging", **faster).wait_ready()
    now = time.time()
    fresh = org.create_issue("billing", level="error", created=now)
    org.record_events(fresh.id, n=4, at=now, environment="production")

    def settled():
        # The issue and its events are two steps of the simulator: a poll between them shows the issue
        # first and its events at the next poll, so wait for both.
        text = exporter.metrics()
        new = counter(text, "sentry_issue_transitions_total", transition="new")
        events = counter(text, "sentry_issue_events_total", project="billing", environment="production")
        return text if new >= 1 and events >= 4 else None

    text = wait_for(settled, 20, what="the next poll")
    assert counter(text, "sentry_issue_transitions_total", environment="production", transition="new") == 1
    assert counter(text, "sentry_issue_transitions_total", environment="staging", transition="new") == 0
    assert counter(text, "sentry_issue_events_total", project="billing", environment="production") == 4
    assert counter(text, "sentry_issue_events_total", environment="staging") == 0
