"""The cardinality guard: per-issue series stay under SENTRY_MAX_ISSUE_SERIES, drops are counted,
and sentry_issues keeps exact sums however many distinct assignees and titles the org has."""

import time

from sentry_simulator import Assignee, build_org
from tools import sample_values

PERIOD_14D = 14 * 86400
CAP = 60  # above the 44 series sentry_issues needs with every assignee folded
GUARDED = ("sentry_issues", "sentry_issue_window_events", "sentry_issue_users",
           "sentry_issue_first_seen_timestamp_seconds", "sentry_issue_last_seen_timestamp_seconds",
           "sentry_issue_info", "sentry_issue_tag_values")


def wild_org():
    """300 unresolved issues, nearly every one with its own assignee and a 1,200-character title: four
    times the longest label, and three times the longest title Sentry makes (`src/sentry/eventtypes/
    error.py` compute_title: the type, trimmed to 128, and the value's first line cut to 100 or 256)."""
    org = build_org(slug="acme", projects=3, unresolved=300, seed=5)
    for n, issue in enumerate(list(org.issues.values())):
        issue.title = f"{n:05d} " + "Ünïcode title 🙂 " * 70
        org.assign(issue.id, Assignee("user", str(5000 + n), f"user-{n % 250:03d}", f"u{n}@example.com"))
    return org


def test_per_issue_series_are_capped_and_sums_stay_exact(make_sim, make_exporter):
    org, server = make_sim(wild_org())
    exporter = make_exporter(server.url, SENTRY_MAX_ISSUE_SERIES=str(CAP), SENTRY_TOP_ISSUES="100",
                             SENTRY_IMPACT_TAGS="workspace_id,tenant_id", SENTRY_ISSUE_LABEL_TAGS="release_stage",
                             SENTRY_IMPACT_THRESHOLDS="workspace_id=0,tenant_id=0", SENTRY_IMPACT_INTERVAL_SECONDS="1").wait_ready()
    text = exporter.metrics()
    dropped = {dict(k)["metric"]: v for k, v in sample_values(text, "sentry_series_dropped").items()}
    assert set(dropped) == set(GUARDED)
    for name in GUARDED:
        assert 0 < len(sample_values(text, name)) <= CAP, name
    truth = org.truth_unresolved(PERIOD_14D, time.time())
    issues = sample_values(text, "sentry_issues")
    assert sum(issues.values()) == sum(truth.values()) > 250, "folding assignees must not lose an issue"
    assert any(dict(k)["assignee"] == "_other" for k in issues)
    assert any(dict(k)["assignee"] != "_other" for k in issues), "the most frequent assignees are kept"
    distinct_series = len({(p, lvl, sub, pri, a) for (p, lvl, sub, pri, a) in truth})
    assert dropped["sentry_issues"] == distinct_series - len(issues)
    assert dropped["sentry_issue_info"] == 100 - CAP  # the top 100 minus the kept 60
    # Every issue with a workspace is over the floor of 0: reading stops past the cap, which is said.
    assert dropped["sentry_issue_tag_values"] > 0
    assert set(sample_values(text, "sentry_impact_truncated").values()) == {1.0}
    for key in sample_values(text, "sentry_issue_info"):
        assert len(dict(key)["title"]) <= 300


def test_under_the_cap_nothing_is_folded(make_sim, make_exporter):
    org, server = make_sim()
    text = make_exporter(server.url, SENTRY_MAX_ISSUE_SERIES="100000").wait_ready().metrics()
    dropped = sample_values(text, "sentry_series_dropped")
    assert dropped and set(dropped.values()) == {0.0}
    assert not any(dict(k)["assignee"] == "_other" for k in sample_values(text, "sentry_issues"))
