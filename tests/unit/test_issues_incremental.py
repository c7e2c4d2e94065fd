"""Incremental passes between full reconciliations, against the simulator on a fake clock (issue 13)."""

from __future__ import annotations

import threading
from collections import Counter

from inprocess import BOTH_FLAVORS, run, sample

from sentry_simulator import Assignee

DAY = 86400.0
PERIOD = 14 * DAY
INCREMENTAL = {"reconcile_pages": 0}  # full listings on the clock only, however cheap: the passes are tested
ANN = Assignee("user", "1", "Ann", "ann@example.com")
TEAM = Assignee("team", "2", "web-team")


def label_of(assignee) -> str:
    return "unassigned" if assignee is None else ("#" + assignee.name if assignee.kind == "team" else assignee.name)


def populate(org, clock, n: int = 250) -> list:
    org.add_project("web", project_id="2")
    issues = []
    for i in range(n):
        issue = org.create_issue("api" if i % 3 else "web", level=("error", "warning", "fatal")[i % 3],
                                 substatus="ongoing", priority=("high", "medium", "low")[i % 3],
                                 assignee=(None, ANN, TEAM)[i % 3])
        org.record_events(issue.id, 1 + i % 4, at=clock() - 3600 - 60 * i)
        issues.append(issue)
    return issues


def counts(e) -> Counter:
    got = Counter()
    for family in e.registry.collect():
        if family.name == "sentry_issues":
            for s in family.samples:
                got[(s.labels["project"], s.labels["level"], s.labels["substatus"], s.labels["priority"],
                     s.labels["assignee"])] += s.value
    return got


def truth(org, clock, flavor: str = "sentry") -> Counter:
    """The simulator's truth, labelled as the exporter can know it: GlitchTip's issues have no substatus,
    priority or assignee (IssueSchema), so those labels are empty there, which Prometheus reads as absent."""
    raw = org.truth_unresolved(PERIOD, clock(), assignee_label=label_of)
    known = Counter()
    for (p, lvl, sub, pri, a), n in raw.items():
        known[(p, lvl, sub or "none", pri or "none", a) if flavor == "sentry" else (p, lvl, "", "", "")] += n
    return known


def transitions(e, transition: str) -> float:
    return sum(s.value for f in e.registry.collect() if f.name == "sentry_issue_transitions" for s in f.samples
               if s.name.endswith("_total") and s.labels["transition"] == transition)


def events_total(e) -> float:
    return sum(s.value for f in e.registry.collect() if f.name == "sentry_issue_events" and f.type == "counter"
               for s in f.samples if s.name.endswith("_total"))


def issue_calls(server) -> int:
    return len(server.requests("issues"))


def reconcile(e) -> None:
    assert e.run_reconciliation()


@BOTH_FLAVORS
def test_counts_equal_the_truth_after_a_reconciliation(exporter, org, clock, flavor):
    issues = populate(org, clock)
    e = exporter(**INCREMENTAL)
    run(e, "issues")  # the start is a full reconciliation
    assert counts(e) == truth(org, clock, flavor)
    assert sample(e, "sentry_issues_reconciled_timestamp_seconds") == clock()
    clock.advance(60)
    org.set_status(issues[0].id, "resolved")
    org.set_status(issues[1].id, "ignored", substatus="archived_forever")
    org.assign(issues[2].id, ANN)
    org.set_priority(issues[3].id, "low")
    org.merge_issues(issues[4].id, issues[5].id)
    fresh = org.create_issue("web", level="fatal")
    org.record_events(fresh.id, 3, at=clock() - 5)
    clock.advance(60)
    started = clock()
    reconcile(e)
    run(e, "issues")
    assert counts(e) == truth(org, clock, flavor)
    assert sample(e, "sentry_issues_reconciled_timestamp_seconds") == started


@BOTH_FLAVORS
def test_events_new_issues_and_regressions_reach_the_next_pass(exporter, org, clock, simulators, flavor):
    issues = populate(org, clock)
    resolved = issues[10]
    e = exporter(**INCREMENTAL)
    run(e, "issues")
    org.set_status(resolved.id, "resolved")
    reconcile(e)  # it left; its lifetime count is remembered, so its return counts only new events
    before = issue_calls(simulators[0])
    clock.advance(60)
    org.record_events(issues[20].id, 7, at=clock() - 10)            # a burst
    fresh = org.create_issue("api", level="error")                   # a new issue
    org.record_events(fresh.id, 2, at=clock() - 20)
    org.set_status(resolved.id, "unresolved", substatus="regressed")  # a regression
    org.record_events(resolved.id, 4, at=clock() - 30)
    run(e, "issues")
    assert issue_calls(simulators[0]) - before == 1  # one page, not the three of a full listing
    assert transitions(e, "new") == 1
    assert transitions(e, "regressed") == (1 if flavor == "sentry" else 0)  # GlitchTip has no substatus
    assert events_total(e) == 7 + 2 + 4
    assert counts(e) == truth(org, clock, flavor)


@BOTH_FLAVORS
def test_a_resolution_is_seen_by_the_next_reconciliation_not_before(exporter, org, clock):
    issues = populate(org, clock, 50)
    e = exporter(**INCREMENTAL)
    run(e, "issues")
    org.set_status(issues[0].id, "resolved")
    for _ in range(3):
        clock.advance(60)
        run(e, "issues")
        assert transitions(e, "left") == 0
        assert sum(counts(e).values()) == 50  # incremental passes cannot see what no event announces
    reconcile(e)
    run(e, "issues")
    assert transitions(e, "left") == 1
    assert sum(counts(e).values()) == 49


def test_a_cut_reconciliation_changes_no_count(exporter, org, clock, behaviour):
    populate(org, clock)
    e = exporter(**INCREMENTAL)
    run(e, "issues")
    expected = counts(e)
    behaviour.listing_cut = 120
    clock.advance(60)
    reconcile(e)
    run(e, "issues")
    assert counts(e) == expected
    assert transitions(e, "left") == 0
    assert sample(e, "sentry_issues_truncated", query="default") == 1


@BOTH_FLAVORS
def test_a_restart_double_counts_nothing(exporter, org, clock):
    issues = populate(org, clock, 50)
    first = exporter(**INCREMENTAL)
    run(first, "issues")
    clock.advance(60)
    org.record_events(issues[0].id, 5, at=clock() - 10)
    run(first, "issues")
    assert events_total(first) == 5
    second = exporter(**INCREMENTAL)  # a restart: a new process, a new baseline
    run(second, "issues")
    assert events_total(second) == 0
    assert transitions(second, "new") == 0
    clock.advance(60)
    org.record_events(issues[0].id, 3, at=clock() - 10)
    run(second, "issues")
    assert events_total(second) == 3


@BOTH_FLAVORS
def test_a_reconciliation_overlapping_passes_neither_loses_nor_double_counts(exporter, org, clock, simulators,
                                                                              flavor):
    issues = populate(org, clock, 300)
    e = exporter(**INCREMENTAL)
    run(e, "issues")
    simulators[0].faults.set(endpoint="issues", slow_seconds=0.15, count=12)  # a reconciliation that takes a while
    reconciliation = threading.Thread(target=reconcile, args=(e,))
    reconciliation.start()
    added = 0
    for round_ in range(8):
        clock.advance(30)
        for issue in issues[round_ * 7: round_ * 7 + 5]:
            org.record_events(issue.id, 2, at=clock() - 5)
            added += 2
        run(e, "issues")
    reconciliation.join()
    clock.advance(30)
    run(e, "issues")
    assert events_total(e) == added
    assert counts(e) == truth(org, clock, flavor)


def test_news_reaches_metrics_a_page_at_a_time_before_the_pass_ends(exporter, org, clock):
    issues = populate(org, clock)
    e = exporter(**INCREMENTAL)
    run(e, "issues")
    clock.advance(60)
    for issue in issues[:150]:  # news on two pages
        org.record_events(issue.id, 1, at=clock() - 30)
    fresh = org.create_issue("api", level="error")  # the newest: on the first page
    org.record_events(fresh.id, 1, at=clock() - 1)
    publish = e.store.publish

    def publish_then_fail(poller, result):  # the first page of news is out: every later page fails
        publish(poller, result)
        exporter.server.faults.set(status=500, endpoint="issues")

    e.store.publish = publish_then_fail
    assert not e.run_poller(e.issues)
    assert sample(e, "sentry_poll_success", poller="issues") == 0
    assert transitions(e, "new") == 1  # shown when its page came, though the pass then failed


@BOTH_FLAVORS
def test_a_cheap_full_listing_runs_every_poll_so_resolutions_show_at_the_next(exporter, org, clock, flavor):
    """Issue 21, point 8: 300 issues are three pages; the default reconciles them every poll."""
    issues = populate(org, clock, 300)
    e = exporter()
    run(e, "issues")
    for issue in issues[:7]:
        org.set_status(issue.id, "resolved")
    clock.advance(60)
    run(e, "issues")
    assert transitions(e, "left") == 7
    assert counts(e) == truth(org, clock, flavor)


def test_a_dear_full_listing_runs_as_often_as_its_page_budget_pays_for(exporter, org, clock):
    issues = populate(org, clock, 300)  # three pages
    e = exporter(reconcile_pages=1)     # one page a poll interval: a full listing every third
    run(e, "issues")
    assert e.issues.reconcile_period() == 180
    org.set_status(issues[0].id, "resolved")
    for _ in range(2):
        clock.advance(60)
        assert e.reconcile_when_due()   # the scheduled job: not due yet
        run(e, "issues")                # an incremental pass
        assert transitions(e, "left") == 0
    calls = issue_calls(exporter.server)
    clock.advance(60)
    assert e.reconcile_when_due()
    assert issue_calls(exporter.server) - calls >= 3  # it listed everything
    assert transitions(e, "left") == 1  # and shows it at once, not at the next pass
    assert sum(counts(e).values()) == 299
    # SENTRY_RECONCILE_INTERVAL_SECONDS stays the longest time between full listings
    capped = exporter(reconcile_pages=1, reconcile_interval=120)
    run(capped, "issues")
    assert capped.issues.reconcile_period() == 120
