"""Alert inputs exist at 0 before their first count: a counter series born at 1 has no increase(), so
SentryNewIssue and SentryIssueRegressed would never fire for the first issue of a series."""

from __future__ import annotations

from inprocess import run, sample

# Written out, not imported from the exporter: a level or transition dropped there must fail here.
LEVELS = ("fatal", "error", "warning", "info", "debug")
TRANSITIONS = ("new", "regressed", "escalating", "left")


def transitions(e, **labels) -> float | None:
    return sample(e, "sentry_issue_transitions_total", **labels)


def test_every_project_level_and_transition_exists_at_0_from_the_first_poll(exporter, org, clock):
    org.add_project("web", project_id="2")  # no issue at all
    issue = org.create_issue("api", level="error", substatus="ongoing")
    org.record_events(issue.id, 1, at=clock() - 600)
    e = exporter(reconcile_interval=0)
    run(e, "issues")
    for project in ("api", "web"):
        for level in LEVELS:
            assert sample(e, "sentry_issue_events_total", project=project, level=level) == 0, (project, level)
            for transition in TRANSITIONS:
                assert transitions(e, project=project, level=level, transition=transition) == 0, (project, level)


def test_the_first_fatal_issue_of_a_project_counts_from_0(exporter, org, clock):
    e = exporter(reconcile_interval=0)
    run(e, "issues")
    assert transitions(e, project="api", level="fatal", transition="new") == 0
    clock.advance(60)
    fatal = org.create_issue("api", level="fatal")
    org.record_events(fatal.id, 1, at=clock() - 5)
    run(e, "issues")
    assert transitions(e, project="api", level="fatal", transition="new") == 1


def test_a_regression_right_after_a_restart_counts_from_0(exporter, org, clock):
    old = org.create_issue("api", level="fatal", status="resolved")
    org.record_events(old.id, 1, at=clock() - 7200)
    e = exporter(reconcile_interval=0)  # a restart: nothing known, the resolved issue is not listed
    run(e, "issues")
    assert transitions(e, project="api", level="fatal", transition="regressed") == 0
    clock.advance(60)
    org.set_status(old.id, "unresolved", substatus="regressed", at=clock())
    org.record_events(old.id, 1, at=clock() - 5)
    run(e, "issues")
    assert transitions(e, project="api", level="fatal", transition="regressed") == 1


def test_each_configured_environment_has_its_series(exporter, org, clock):
    e = exporter(reconcile_interval=0, environments=("production", "staging"))
    run(e, "issues")
    for environment in ("production", "staging"):
        assert transitions(e, project="api", level="fatal", environment=environment, transition="new") == 0


def test_a_project_newer_than_the_directory_shows_0_before_its_first_count(exporter, org, clock):
    e = exporter(reconcile_interval=0, projects_refresh=3600)
    run(e, "issues")
    clock.advance(60)
    org.add_project("billing", project_id="3")  # after the directory's fetch: unknown until its refresh
    first = org.create_issue("billing", level="fatal")
    org.record_events(first.id, 1, at=clock() - 5)
    run(e, "issues")
    assert transitions(e, project="billing", level="fatal", transition="new") == 0
    clock.advance(60)
    run(e, "issues")
    assert transitions(e, project="billing", level="fatal", transition="new") == 1
