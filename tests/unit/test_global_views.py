"""A plan without global-views (CONTRACT.md §0.10): older Sentry refuses an issues or Discover query over
several projects with a 400, so the issues poller lists, looks up and counts one project at a time."""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from inprocess import run, sample
from sentry_simulator import Behaviour

DAY = 86400.0
ENVIRONMENTS = ("production", "staging")


@pytest.fixture
def behaviour() -> Behaviour:
    return Behaviour(global_views=False)


@pytest.fixture
def issues(org, clock) -> list:
    """150 old issues in api (two pages, last seen an hour ago and earlier) and 20 in web."""
    org.add_project("web", project_id="2")
    made = []
    for i in range(170):
        issue = org.create_issue("api" if i < 150 else "web", substatus="ongoing")
        org.record_events(issue.id, 1 + i % 3, at=clock() - 3600 - 60 * i)
        made.append(issue)
    return made


def counts(e) -> Counter:
    return Counter({project: sum(s.value for f in e.registry.collect() if f.name == "sentry_issues"
                                 for s in f.samples if s.labels["project"] == project) for project in ("api", "web")})


def truth(org, clock) -> Counter:
    got: Counter = Counter()
    for (project, *_), n in org.truth_unresolved(14 * DAY, clock()).items():
        got[project] += n
    return got


def refused(server, endpoint: str) -> int:
    return len(server.requests(endpoint, status=400))


def left(e, project: str) -> float | None:
    return sample(e, "sentry_issue_transitions_total", project=project, level="error", transition="left")


def test_listings_lookups_and_passes_go_project_by_project(exporter, org, clock, issues, caplog):
    with caplog.at_level(logging.WARNING):
        e = exporter(reconcile_pages=0)  # incremental passes between reconciliations, however cheap
        run(e, "issues")  # the full reconciliation: refused once over both projects, then per project
    assert counts(e) == truth(org, clock) == Counter({"api": 150, "web": 20})
    said = [r for r in caplog.records if "global-views" in r.getMessage()]
    assert len(said) == 1 and "issues" in said[0].getMessage()

    # An incremental pass stops early per project: api's old pages must not hide web's news.
    clock.advance(60)
    fresh = org.create_issue("web", substatus="new")
    org.record_events(fresh.id, 3, at=clock() - 5)
    org.record_events(issues[160].id, 4, at=clock() - 10)
    before = len(exporter.server.requests("issues"))
    run(e, "issues")
    assert len(exporter.server.requests("issues")) - before == 2  # one page each, not api's two
    assert counts(e) == truth(org, clock) == Counter({"api": 150, "web": 21})
    assert sample(e, "sentry_issue_transitions_total", project="web", level="error", transition="new") == 1
    assert sample(e, "sentry_issue_events_total", project="web", level="error") == 3 + 4

    # A reconciliation looks the missing ones up by id, in their own project.
    org.set_status(issues[0].id, "resolved")
    org.set_status(issues[165].id, "resolved")
    clock.advance(60)
    assert e.run_reconciliation()
    run(e, "issues")  # publishes what it merged
    assert counts(e) == truth(org, clock) == Counter({"api": 149, "web": 20})
    assert (left(e, "api"), left(e, "web")) == (1, 1)
    assert refused(exporter.server, "issues") == 1  # remembered: asked one project at a time ever since


def test_per_environment_events_are_counted_project_by_project(exporter, org, clock, issues):
    org.record_events(issues[1].id, 1, at=clock() - 600, environment="staging")  # staging exists
    e = exporter(environments=ENVIRONMENTS, reconcile_interval=0)
    run(e, "issues")
    clock.advance(60)
    org.record_events(issues[0].id, 5, at=clock() - 10, environment="staging")
    org.record_events(issues[160].id, 2, at=clock() - 10, environment="production")
    run(e, "issues")
    events = {(p, env): sample(e, "sentry_issue_events_total", project=p, level="error", environment=env)
              for p in ("api", "web") for env in ENVIRONMENTS}
    assert events == {("api", "staging"): 5, ("api", "production"): 0,  # every series exists, at 0 without events
                      ("web", "staging"): 0, ("web", "production"): 2}
    assert refused(exporter.server, "events") == 1
