"""An issue missing from a full listing is looked up by id before it counts as left (CONTRACT.md §0.6, §0.7)."""

from __future__ import annotations

from inprocess import BOTH_FLAVORS, LOOKUP, run, sample

DAY = 86400.0
LEFT = {"project": "api", "level": "error", "transition": "left"}


def unresolved(org, clock, n: int, project: str = "api") -> list:
    issues = []
    for i in range(n):
        issue = org.create_issue(project, substatus="ongoing")
        org.record_events(issue.id, 1, at=clock() - 60 - i)
        issues.append(issue)
    return issues


def total(e, project: str = "api") -> float:
    return sum(s.value for f in e.registry.collect() if f.name == "sentry_issues" for s in f.samples
               if s.labels["project"] == project)


def test_a_cut_listing_changes_no_count_and_says_so(exporter, org, clock, behaviour, caplog):
    unresolved(org, clock, 300)
    e = exporter(reconcile_interval=0)
    run(e, "issues")
    assert total(e) == 300
    behaviour.listing_cut = 150  # Sentry's chunked search ran out of time: 150 issues and results="false"
    clock.advance(60)
    caplog.clear()
    run(e, "issues")
    assert total(e) == 300
    assert sample(e, "sentry_issue_transitions_total", **LEFT) == 0
    assert sample(e, "sentry_issues_truncated", query="default") == 1
    assert len([r for r in caplog.records if "cut short" in r.getMessage()]) == 1
    behaviour.listing_cut = None
    clock.advance(60)
    run(e, "issues")
    assert sample(e, "sentry_issues_truncated", query="default") == 0


@BOTH_FLAVORS
def test_departures_by_the_rules(exporter, org, clock, behaviour):
    issues = unresolved(org, clock, 6)
    quiet = org.create_issue("api", substatus="ongoing")
    org.record_events(quiet.id, 1, at=clock() - 14 * DAY + 120)  # leaves the 14d window in 2 minutes
    e = exporter(reconcile_interval=0)
    run(e, "issues")
    assert total(e) == 7
    org.set_status(issues[0].id, "resolved")
    org.set_status(issues[1].id, "ignored", substatus="archived_until_escalating")
    org.delete_issue(issues[2].id)
    org.merge_issues(issues[3].id, issues[4].id)
    clock.advance(180)
    run(e, "issues")
    # resolved, archived, deleted, merged away and aged out: five confirmed departures
    assert total(e) == 2
    assert sample(e, "sentry_issue_transitions_total", **LEFT) == 5
    assert sample(e, "sentry_issues_truncated", query="default") == 0


@BOTH_FLAVORS
def test_confirmations_come_in_batches_of_a_hundred(exporter, org, clock, simulators, flavor):
    issues = unresolved(org, clock, 250)
    e = exporter(reconcile_interval=0)
    run(e, "issues")
    for issue in issues[:230]:
        org.set_status(issue.id, "resolved")
    clock.advance(60)
    run(e, "issues")
    assert total(e) == 20
    by_id = LOOKUP[flavor]
    lookups = [len(r.params[by_id]) for r in simulators[0].requests("issues") if by_id in r.params]
    assert sorted(lookups) == [30, 100, 100]  # at most 100 ids a call


def test_a_forbidden_batch_is_split_not_an_auth_error(exporter, org, clock, behaviour):
    org.add_project("secret", project_id="2")
    unresolved(org, clock, 3)
    unresolved(org, clock, 2, project="secret")
    e = exporter(reconcile_interval=0)
    run(e, "issues")
    assert total(e, "secret") == 2
    behaviour.hidden_projects = frozenset({"2"})  # the token lost access to the project
    clock.advance(60)
    run(e, "issues")  # succeeds: a 403 on a lookup batch is one project, not a bad token
    assert total(e, "secret") == 0
    assert total(e) == 3
    assert sample(e, "sentry_issue_transitions_total", project="secret", level="error", transition="left") == 2


@BOTH_FLAVORS
def test_events_an_issue_got_just_before_it_was_resolved_still_count(exporter, org, clock):
    issues = unresolved(org, clock, 3)
    e = exporter(reconcile_pages=0)  # incremental passes between reconciliations
    run(e, "issues")
    clock.advance(60)
    org.record_events(issues[0].id, 4, at=clock() - 5)
    org.set_status(issues[0].id, "resolved")  # before any pass listed it again: no listing shows the 4
    run(e, "issues")
    assert e.run_reconciliation()  # its group= lookup finds it resolved, with its lifetime count
    run(e, "issues")
    assert sample(e, "sentry_issue_events_total", project="api", level="error") == 4
    assert sample(e, "sentry_issue_transitions_total", **LEFT) == 1


@BOTH_FLAVORS
def test_a_lookup_verdict_does_not_depart_an_issue_a_pass_saw_after_it(exporter, org, clock, flavor):
    """The departure race (issue 21, point 13): resolved, looked up as resolved, regressed and seen by a
    pass before the reconciliation merges its verdict. The pass is newer: the issue stays, counted once."""
    issues = unresolved(org, clock, 3)
    e = exporter(reconcile_pages=0)  # incremental passes beside the reconciliation job
    run(e, "issues")
    org.set_status(issues[0].id, "resolved")
    get_json, raced = e.client.get_json, []

    def then_a_regression(endpoint, path, params=()):
        answer = get_json(endpoint, path, params)
        if not raced and any(name == LOOKUP[flavor] for name, _ in params):  # the lookup has answered: resolved
            raced.append(True)
            clock.advance(5)
            org.set_status(issues[0].id, "unresolved", substatus="regressed")
            org.record_events(issues[0].id, 2, at=clock())
            clock.advance(1)
            run(e, "issues")  # a pass sees the regression before the reconciliation merges
        return answer

    e.client.get_json = then_a_regression
    clock.advance(60)
    assert e.run_reconciliation() and raced
    for _ in range(2):
        clock.advance(60)
        run(e, "issues")
    assert total(e) == 3
    # GlitchTip has no substatus (IssueSchema): its issue comes back without being called regressed
    regressed = 1 if flavor == "sentry" else 0
    assert sample(e, "sentry_issue_transitions_total", project="api", level="error", transition="regressed") == regressed
    assert sample(e, "sentry_issue_transitions_total", **LEFT) == 0
