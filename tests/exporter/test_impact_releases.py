"""Impact (Discover) and release-health metrics equal the simulator's truth; their cost is fixed."""

import time

from tools import sample_values

DAY = 86400


def rows(text, name):
    return [(dict(k), v) for k, v in sample_values(text, name).items()]


def test_impact_values_and_labels_match_truth_with_a_fixed_cost(make_sim, make_exporter):
    org, server = make_sim()
    env = {"SENTRY_IMPACT_TAGS": "workspace_id,tenant_id", "SENTRY_ISSUE_LABEL_TAGS": "release_stage,failure_origin",
           "SENTRY_IMPACT_TOP_ISSUES": "20", "SENTRY_IMPACT_INTERVAL_SECONDS": "1"}
    text = make_exporter(server, **env).wait_ready().metrics()
    now = time.time()
    found = rows(text, "sentry_issue_tag_values")
    assert len(found) == 40  # 20 issues x 2 impact tags
    for labels, value in found:
        issue = org.issue_by_short_id(labels["issue"])
        assert value == org.truth_tag_values(issue.id, labels["tag"], now), labels
        assert labels["release_stage"] in ("GA", "Beta", "Alpha")
        assert labels["failure_origin"]
        assert labels["assignee"] != "unknown"


def test_impact_cost_is_one_ranking_and_a_page_per_100_label_rows(make_sim, make_exporter):
    for top, label_pages in (("5", 1), ("100", 2)):
        org, server = make_sim()
        exporter = make_exporter(server, SENTRY_IMPACT_TAGS="workspace_id", SENTRY_ISSUE_LABEL_TAGS="release_stage",
                                 SENTRY_IMPACT_TOP_ISSUES=top, SENTRY_IMPACT_INTERVAL_SECONDS="3600").wait_ready()
        text = exporter.metrics()
        calls = [r for r in server.request_log if r.endpoint == "events"]
        assert [("cursor" in r.params) for r in calls] == [False, False] + [True] * (label_pages - 1), top
        assert all(labels["release_stage"] for labels, _ in rows(text, "sentry_issue_tag_values")), top


def test_release_health_matches_truth(make_sim, make_exporter):
    org, server = make_sim()
    text = make_exporter(server, SENTRY_RELEASES_PER_PROJECT="2").wait_ready().metrics()
    now = time.time()
    latest = [labels for labels, _ in rows(text, "sentry_release_info") if labels["latest"] == "true"]
    assert {l["project"] for l in latest} == {p.slug for p in org.projects.values()}
    ratios = rows(text, "sentry_release_crash_free_sessions_ratio")
    assert ratios
    hour = 3600
    for labels, value in ratios:
        # statsPeriod=24h at 1h rounds out to whole hours, like Sentry
        truth = org.truth_sessions((now // hour - 24) * hour, (now // hour + 1) * hour, project=labels["project"],
                                   release=labels["release"], environment=labels["environment"])
        assert abs(value - truth["crash_free_sessions"]) < 1e-9, labels


def test_named_queries_from_the_config_file(make_sim, make_exporter, tmp_path):
    org, server = make_sim()
    config = tmp_path / "exporter.yml"
    config.write_text("sentry_queries:\n  - {name: fatal, query: 'is:unresolved level:fatal'}\n"
                      "  - {name: unassigned, query: 'is:unresolved is:unassigned'}\n")
    text = make_exporter(server, EXPORTER_CONFIG=str(config)).wait_ready().metrics()
    truth = org.truth_unresolved(14 * DAY, time.time())
    expected = {"fatal": {}, "unassigned": {}}
    for (project, level, _, _, assignee), n in truth.items():
        if level == "fatal":
            expected["fatal"][project] = expected["fatal"].get(project, 0) + n
        if assignee == "unassigned":
            expected["unassigned"][project] = expected["unassigned"].get(project, 0) + n
    got = {"fatal": {}, "unassigned": {}}
    for labels, value in rows(text, "sentry_query_issues"):
        got[labels["query"]][labels["project"]] = value
    assert got == expected
    assert sum(got["fatal"].values()) > 0 and sum(got["unassigned"].values()) > 0
    queries = [r.params.get("query", [""])[0] for r in server.request_log if r.endpoint == "issues"]
    assert "is:unresolved level:fatal" in queries
