"""Impact (Discover) and release-health metrics equal the simulator's truth; their cost is fixed."""

import time

from sentry_simulator import Org, build_org
from sentry_simulator.model import tag_get
from tools import sample_values

DAY = 86400


def rows(text, name):
    return [(dict(k), v) for k, v in sample_values(text, name).items()]


def tiers_of(org, issue, now):
    with org.lock:
        return {tag_get(tags, "release_stage") for ts, _, _, _, tags in issue.batches if now - DAY <= ts <= now}


def test_impact_values_and_labels_match_truth_per_tier(make_sim, make_exporter):
    """Every (issue, tier) over its tag's lowest threshold (workspace_id > 1, tenant_id > 2 here),
    with Sentry's distinct count within that tier, and nothing under it."""
    org, server = make_sim()
    env = {"SENTRY_IMPACT_TAGS": "workspace_id,tenant_id", "SENTRY_ISSUE_LABEL_TAGS": "release_stage,failure_origin",
           "SENTRY_IMPACT_THRESHOLDS": "workspace_id:GA=1,workspace_id:Beta=5,workspace_id=5,tenant_id=2",
           "SENTRY_IMPACT_INTERVAL_SECONDS": "1"}
    text = make_exporter(server, **env).wait_ready().metrics()
    now = time.time()
    found = {(l["issue"], l["release_stage"], l["tag"]): (v, l) for l, v in rows(text, "sentry_issue_tag_values")}
    expected = {}
    for issue in org.issues.values():
        for tier in tiers_of(org, issue, now):
            for tag, floor in (("workspace_id", 1), ("tenant_id", 2)):
                n = org.truth_tag_values(issue.id, tag, now, where={"release_stage": tier})
                if n > floor:
                    expected[(issue.short_id, tier or "", tag)] = n
    assert len(expected) > 10
    assert {key: v for key, (v, _) in found.items()} == expected
    assert all(l["failure_origin"] and l["assignee"] != "unknown" for _, l in found.values())
    assert {dict(k)["tag"]: v for k, v in sample_values(text, "sentry_impact_truncated").items()} == {
        "tenant_id": 0.0, "workspace_id": 0.0}


def test_impact_cost_does_not_grow_with_the_issues(make_sim, make_exporter):
    """One Discover page per 100 rows over the floor: the same single call for 450 issues as for 4,500."""
    for issues in (450, 4500):
        org, server = make_sim(build_org(slug="acme", projects=4, unresolved=issues, seed=7))
        make_exporter(server, SENTRY_IMPACT_TAGS="workspace_id", SENTRY_ISSUE_LABEL_TAGS="release_stage",
                      SENTRY_IMPACT_THRESHOLDS="workspace_id=20", SENTRY_IMPACT_INTERVAL_SECONDS="3600").wait_ready()
        calls = [r for r in server.request_log if r.endpoint == "events"]
        assert [(r.param("query"), r.param("sort"), "cursor" in r.params) for r in calls] == [
            ("count_unique(tags[workspace_id]):>20", "-count_unique(tags[workspace_id])", False)], issues


def quiet_and_loud_org(loud: int = 1404, quiet_wide: int = 49, loud_wide: int = 47) -> Org:
    """The measured org: 1,500 issues of 24h, 96 of them in more than 2 workspaces. 47 of those are loud
    (100+ events); 49 are quiet (a few events, each from another workspace); the other 1,404 are loud in
    one or two workspaces."""
    org = Org(slug="acme")
    now = time.time()
    for slug in ("connectors", "api", "web"):
        org.add_project(slug)
    projects = list(org.projects.values())
    kinds = [("loud", n) for n in range(loud)] + [("quiet_wide", n) for n in range(quiet_wide)] + \
        [("loud_wide", n) for n in range(loud_wide)]
    for i, (kind, n) in enumerate(kinds):
        issue = org.create_issue(projects[i % 3], created=now - 3600)
        if kind == "loud":
            for w in range(1 + n % 2):
                org.record_events(issue.id, 20 + n % 30, at=now - 600, tags={"workspace_id": f"w{n}-{w}",
                                                                              "release_stage": "GA"})
        else:
            for w in range(3 + n % 3):
                org.record_events(issue.id, 40 if kind == "loud_wide" else 1, at=now - 600,
                                  tags={"workspace_id": f"x{n}-{w}", "release_stage": "GA"})
    return org


def test_every_issue_over_the_lowest_threshold_is_exported_whatever_its_events(make_sim, make_exporter):
    """Measured on the old top-50-by-count: 47 of the 96 exported. All 96 now."""
    org, server = make_sim(quiet_and_loud_org())
    now = time.time()
    truth = {i.short_id for i in org.issues.values() if org.truth_tag_values(i.id, "workspace_id", now) > 2}
    assert len(org.issues) == 1500 and len(truth) == 96
    text = make_exporter(server, SENTRY_IMPACT_TAGS="workspace_id", SENTRY_ISSUE_LABEL_TAGS="release_stage",
                         SENTRY_IMPACT_INTERVAL_SECONDS="3600").wait_ready().metrics()
    assert {l["issue"] for l, _ in rows(text, "sentry_issue_tag_values")} == truth


def test_an_issue_spanning_tiers_is_counted_in_each(make_sim, make_exporter):
    """Per tier: a CDK bug in 3 GA workspaces (1 event each) and 1 Beta workspace (10 events) is a GA row
    of 3, which pages. A row's other label tag is its most frequent value within the tier: for `bug`,
    "destination" (14 GA events), though "source" is the issue's most frequent over both tiers (22)."""
    org = Org(slug="acme")
    now = time.time()
    org.add_project("connectors")
    cdk, bug = (org.create_issue("connectors", created=now - 3600) for _ in range(2))
    for issue, events in ((cdk, [("w1", "GA", "source", 1), ("w2", "GA", "source", 1), ("w3", "GA", "source", 1),
                                 ("w4", "Beta", "destination", 10)]),
                          (bug, [("w1", "GA", "source", 10), ("w2", "GA", "destination", 7),
                                 ("w3", "GA", "destination", 7), ("w4", "Beta", "source", 12)])):
        for workspace, stage, origin, n in events:
            org.record_events(issue.id, n, at=now - 600,
                              tags={"workspace_id": workspace, "release_stage": stage, "failure_origin": origin})
    _, server = make_sim(org)
    text = make_exporter(server, SENTRY_IMPACT_TAGS="workspace_id", SENTRY_ISSUE_LABEL_TAGS="release_stage,failure_origin",
                         SENTRY_IMPACT_INTERVAL_SECONDS="3600").wait_ready().metrics()
    assert sorted((l["issue"], l["release_stage"], l["failure_origin"], v)
                  for l, v in rows(text, "sentry_issue_tag_values")) == [
        (cdk.short_id, "GA", "source", 3.0), (bug.short_id, "GA", "destination", 3.0)]


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
