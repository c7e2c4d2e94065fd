"""Paging promises replayed as incidents through the whole stack (incident_stack.Incident). Each has a
control that must page, so a scenario that stays silent proves something."""
from __future__ import annotations

import time

from incident_stack import Incident
from sentry_simulator.model import Org

P0 = {"SENTRY_IMPACT_TAGS": "workspace_id", "SENTRY_ISSUE_LABEL_TAGS": "release_stage"}
SETTLE = 6  # seconds for a page that is due to arrive: 1s scrapes, evaluations and Alertmanager timers, with margin
PAGE_WITHIN = 40  # seconds from the incident to its page, on a loaded machine


def org(*projects: str, teams: tuple[str, ...] = ()) -> Org:
    """Projects owned by `teams` in Sentry (in that order), or by none."""
    org = Org(slug="acme")
    for project in projects:
        org.add_project(project, teams=teams)
    return org


def test_a_quiet_issue_in_3_ga_workspaces_pages_and_3_beta_workspaces_do_not(tmp_path):
    """60 loud issues of one workspace each fill any top 50 by events; the quiet GA issue pages anyway."""
    with Incident(tmp_path, org("connectors"), **P0) as incident:
        for n in range(60):
            loud = incident.issue("connectors")
            incident.events(loud, 20, workspace_id=f"busy-{n}", release_stage="GA")
        beta, ga = incident.issue("connectors"), incident.issue("connectors")
        started = time.monotonic()
        for workspace in ("w1", "w2", "w3"):
            incident.events(beta, 1, workspace_id=workspace, release_stage="Beta")
            incident.events(ga, 1, workspace_id=workspace, release_stage="GA")
        page = incident.paged("SentryIssueHighImpact", timeout=PAGE_WITHIN, issue=ga["short_id"])
        assert time.monotonic() - started < PAGE_WITHIN
        assert page.receiver == "default-page"
        assert page.labels == {"alertname": "SentryIssueHighImpact", "severity": "critical", "priority": "P0",
                               "project": "connectors", "issue": ga["short_id"], "tag": "workspace_id",
                               "release_stage": "GA", "org": "acme"}
        assert page.annotations["description"] == (f"Issue {ga['short_id']} in project connectors affected 3 "
                                                    "distinct workspace_id values in 24h (tier GA); owner nobody.")
        incident.quiet(SETTLE)
        assert incident.pages("SentryIssueHighImpact") == [page]  # once, and not the Beta issue (Beta pages above 5)
        assert incident.query(f'sentry_issue_tag_values{{issue="{beta["short_id"]}", release_stage="Beta"}}')


def test_the_first_fatal_issue_of_a_project_pages(tmp_path):
    """The project had only error issues; its first fatal one is a counter series born with the issue, and a
    fatal issue is a crash: it pages. Controls: a new error issue opens a ticket, in another project and in the
    same one (the fatal page must not silence that ticket: another level)."""
    with Incident(tmp_path, org("payments", "api")) as incident:
        for project in ("payments", "api"):
            incident.events(incident.issue(project, "error"))
        incident.until('sentry_issue_transitions_total{project="payments", level="error"}')
        incident.quiet(3)  # Prometheus holds the exporter's first values
        started = time.monotonic()
        fatal = incident.issue("payments", "fatal")
        incident.events(fatal)
        incident.events(incident.issue("payments", "error"))
        incident.events(incident.issue("api", "error"))
        control = incident.paged("SentryNewIssue", timeout=PAGE_WITHIN, project="api", level="error")
        page = incident.paged("SentryNewIssue", timeout=PAGE_WITHIN, project="payments", level="fatal")
        ticket = incident.paged("SentryNewIssue", timeout=PAGE_WITHIN, project="payments", level="error")
        assert time.monotonic() - started < PAGE_WITHIN
        assert (page.receiver, control.receiver, ticket.receiver) == ("default-page", "default-ticket", "default-ticket")
        assert page.labels == {"alertname": "SentryNewIssue", "severity": "critical", "project": "payments",
                               "level": "fatal", "org": "acme"}
        assert ticket.labels == {"alertname": "SentryNewIssue", "severity": "warning", "project": "payments",
                                 "level": "error", "org": "acme"}
        incident.quiet(SETTLE)
        assert sorted((p.labels["project"], p.labels["level"]) for p in incident.pages("SentryNewIssue")) == [
            ("api", "error"), ("payments", "error"), ("payments", "fatal")]


def test_a_p0_pages_its_projects_team_once_and_still_once_after_an_assignment(tmp_path):
    """connectors belongs to team-c and team-a in Sentry, team-c first: the P0 pages team-c-page (not both teams,
    not the default). Its owner then assigns it to team-a: still one page, to team-c, never resolved."""
    with Incident(tmp_path, org("connectors", teams=("team-c", "team-a")), **P0) as incident:
        incident.until('sentry_project_team_info{project="connectors", team="team-c", primary="true"}')
        issue = incident.issue("connectors")
        for workspace in ("w1", "w2", "w3"):
            incident.events(issue, 1, workspace_id=workspace, release_stage="GA")
        page = incident.paged("SentryIssueHighImpact", timeout=PAGE_WITHIN, issue=issue["short_id"])
        assert (page.receiver, page.path) == ("team-c-page", "/team-c")
        assert page.labels == {"alertname": "SentryIssueHighImpact", "severity": "critical", "priority": "P0",
                               "team": "team-c", "project": "connectors", "issue": issue["short_id"],
                               "tag": "workspace_id", "release_stage": "GA", "org": "acme"}
        incident.assign(issue, "team-a")
        incident.until(f'sentry_issue_tag_values{{issue="{issue["short_id"]}", assignee="#team-a"}}')
        incident.quiet(SETTLE)
        assert incident.pages("SentryIssueHighImpact") == [page]
        assert not [r for r in incident.webhook.received() if r.path != "/watchdog"
                    for a in r.json()["alerts"] if a["status"] == "resolved"
                    and a["labels"].get("alertname") == "SentryIssueHighImpact"]
