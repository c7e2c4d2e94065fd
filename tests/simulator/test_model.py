"""The model itself: determinism, the prefix user model, truth helpers and compaction."""

from __future__ import annotations

import pytest
from simapi import NOW

from sentry_simulator import Org, WindowStats, build_org

HOUR, DAY = 3600, 86400


def test_build_org_is_deterministic_from_its_arguments():
    one, two = (build_org(unresolved=200, resolved=10, seed=11, now=NOW) for _ in range(2))
    assert [(i.short_id, i.level, i.priority, i.assignee, i.batches) for i in one.issues.values()] == \
           [(i.short_id, i.level, i.priority, i.assignee, i.batches) for i in two.issues.values()]
    other = build_org(unresolved=200, resolved=10, seed=12, now=NOW)
    assert [i.batches for i in other.issues.values()] != [i.batches for i in one.issues.values()]


def test_build_org_spreads_issues_over_the_labels_the_exporter_uses():
    org = build_org(unresolved=1000, seed=1, now=NOW)
    unresolved = [i for i in org.issues.values() if i.status == "unresolved"]
    assert len(unresolved) == 1000 + 7
    assert {i.level for i in unresolved} == {"fatal", "error", "warning", "info", "debug"}
    assert {i.priority for i in unresolved} == {"high", "medium", "low"}
    assert {i.substatus for i in unresolved} == {"new", "ongoing", "regressed", "escalating"}
    assert {i.assignee.kind if i.assignee else None for i in unresolved} == {"team", "user", None}
    assert all(i.project.id.isdigit() for i in unresolved)
    assert all(NOW - i.last_seen < 14 * DAY for i in unresolved)
    assert sum(org.truth_new_24h(NOW).values()) >= 5
    tags = {key for i in unresolved for *_, batch_tags in i.batches for key, _ in batch_tags}
    assert {"workspace_id", "tenant_id", "release_stage", "failure_origin", "release"} <= tags


def test_distinct_users_follow_the_prefix_model():
    org = Org(slug="acme")
    issue = org.create_issue(org.add_project("api"))
    org.record_events(issue.id, 10, at=NOW - 3 * HOUR, users=4)
    org.record_events(issue.id, 10, at=NOW - HOUR, users=2)
    org.record_events(issue.id, 1, at=NOW, users=5)  # more users than events is clamped
    assert org.truth_issue_window(issue.id, NOW - 2 * HOUR, NOW).users == 2
    assert org.truth_issue_window(issue.id, 0, NOW) == WindowStats(21, 4, NOW - 3 * HOUR, NOW)


def test_truth_outcomes_merge_error_categories_and_respect_the_window():
    org = Org(slug="acme")
    pid = org.add_project("api").id
    org.record_outcome(pid, "error", "accepted", 3, at=NOW - 10)
    org.record_outcome(pid, "security", "accepted", 4, at=NOW - 10)
    org.record_outcome(pid, "error", "accepted", 100, at=NOW - 2 * HOUR)
    assert org.truth_outcomes(NOW - HOUR, NOW) == {("api", "error", "accepted"): 7}
    with pytest.raises(ValueError):
        org.record_outcome(pid, "errors", "accepted", 1, at=NOW)


def test_compaction_keeps_counts_users_tags_and_first_seen():
    org = Org(slug="acme", environments=("production", "staging"))
    issue = org.create_issue(org.add_project("api"))
    for minute in range(0, 180, 3):
        org.record_events(issue.id, 2, at=NOW - 2 * DAY + minute * 60, users=minute % 7 + 1,
                          environment="staging" if minute % 2 else "production", tags={"ws": f"w{minute % 4}"})
    org.record_events(issue.id, 5, at=NOW - 60, users=1)
    before = (org.truth_issue_window(issue.id, 0, NOW), org.truth_tag_values(issue.id, "ws", NOW, 3 * DAY),
              org.truth_issue_window(issue.id, 0, NOW, environment="staging"))
    removed = org.compact(NOW - DAY)
    assert removed > 40 and len(issue.batches) < 20
    after = (org.truth_issue_window(issue.id, 0, NOW), org.truth_tag_values(issue.id, "ws", NOW, 3 * DAY),
             org.truth_issue_window(issue.id, 0, NOW, environment="staging"))
    assert after[0].count == before[0].count and after[0].users == before[0].users
    assert after[0].first_seen == before[0].first_seen and after[0].last_seen == before[0].last_seen
    assert after[1] == before[1] and after[2].count == before[2].count
