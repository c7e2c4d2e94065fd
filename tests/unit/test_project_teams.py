"""The teams of each project, from the projects listing (ProjectSummarySerializer's `teams`, its `team` being
the first): the P0 page routes to the primary one, so it must be Sentry's first, whatever the teams' names."""

from __future__ import annotations

from inprocess import run, sample


def test_every_team_of_a_project_is_exported_and_sentrys_first_is_primary(exporter, org):
    org.add_project("connectors", project_id="2", teams=("team-z", "team-a"))
    org.add_project("web", project_id="3", teams=("team-b",))
    e = exporter()
    run(e, "stats")
    assert sample(e, "sentry_project_team_info", project="connectors", team="team-z", primary="true") == 1
    assert sample(e, "sentry_project_team_info", project="connectors", team="team-a", primary="false") == 1
    assert sample(e, "sentry_project_team_info", project="web", team="team-b", primary="true") == 1
    teams = [s for m in e.registry.collect() if m.name == "sentry_project_team_info" for s in m.samples]
    assert {(s.labels["project"], s.labels["team"]) for s in teams} == {
        ("connectors", "team-z"), ("connectors", "team-a"), ("web", "team-b")}  # api has no team: no series


def test_a_team_change_in_sentry_is_seen_at_the_next_project_refresh(exporter, org, clock):
    project = org.add_project("connectors", project_id="2", teams=("team-a",))
    e = exporter(projects_refresh=60.0)
    run(e, "stats")
    project.teams = ("team-b",)
    clock.advance(61)
    run(e, "stats")
    assert sample(e, "sentry_project_team_info", project="connectors", team="team-b", primary="true") == 1
    assert sample(e, "sentry_project_team_info", project="connectors", team="team-a", primary="true") is None
