"""The harness itself: the test copy of the rules differs from the shipped rules only in `for:`, and a
plain P0 travels the whole stack to the right receiver, once."""
from __future__ import annotations

import time

import yaml

from incident_stack import Incident, differences, shortened
from rules_support import RULE_FILES
from sentry_simulator.model import Org


def test_the_rule_copy_changes_only_for():
    for path in RULE_FILES:
        original = yaml.safe_load(path.read_text())
        assert differences(original, shortened(original)) == [], path.name


def test_the_rewrite_check_sees_any_other_change():
    original = yaml.safe_load(RULE_FILES[0].read_text())
    for group in original["groups"]:
        for rule in group["rules"]:
            tampered = shortened(original)
            index = group["rules"].index(rule)
            target = next(g for g in tampered["groups"] if g["name"] == group["name"])["rules"][index]
            target["expr"] = f"{target['expr']} * 2"
            assert differences(original, tampered), rule
    assert differences(original, original)  # the shipped `for:` is not the test's


def org() -> Org:
    org = Org(slug="acme")
    org.add_project("connectors")
    return org


def test_a_p0_reaches_the_default_page_receiver_once(tmp_path):
    """The control every P0 scenario builds on: a GA issue in 3 workspaces pages, once."""
    with Incident(tmp_path, org(), SENTRY_IMPACT_TAGS="workspace_id",
                  SENTRY_ISSUE_LABEL_TAGS="release_stage") as incident:
        issue = incident.issue("connectors")
        started = time.monotonic()
        for workspace in ("w1", "w2", "w3"):
            incident.events(issue, 2, workspace_id=workspace, release_stage="GA")
        page = incident.paged("SentryIssueHighImpact", issue=issue["short_id"])
        assert time.monotonic() - started < 40
        assert page.receiver == "default-page"
        assert {k: page.labels[k] for k in ("severity", "project", "tag", "release_stage")} == {
            "severity": "critical", "project": "connectors", "tag": "workspace_id", "release_stage": "GA"}
        incident.quiet(5)
        assert len(incident.pages("SentryIssueHighImpact")) == 1, incident.pages("SentryIssueHighImpact")
