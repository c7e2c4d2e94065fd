"""Sentry overview: how many unresolved issues, which ones matter, and how event volume moves."""
from common import (EXPORTER_LOGS, GREEN, LOKI, ORANGE, ORG, RED, YELLOW, alert_annotation, bars_by, count_stat,
                    dashboard, deploy_annotation, link, pie_by, prom, release_annotation, stat, table, timeseries,
                    value_text, variable)

# The issue series with an environment (SENTRY_ENVIRONMENTS) take $environment; its All also matches none.
SELECT = 'org=~"$org", project=~"$project", level=~"$level", environment=~"$environment"'
ISSUES = f"sentry_issues{{{SELECT}}}"
INFO = 'sentry_issue_info{org=~"$org", project=~"$project", level=~"$level"}'


def per_issue(metric, scale=""):
    """One value per top issue, restricted to the issues the variables select."""
    return f'{scale}{metric}{{org=~"$org", project=~"$project"}} * on(org, issue, project) group_left() {INFO}'


demo_banner = stat(
    "Data source", "Shows DEMO DATA when the exporter serves its built-in simulated Sentry org "
    "(sentry_exporter_demo = 1) instead of a real one.",
    [prom(f"max(sentry_exporter_demo{{{ORG}}})", instant=True)], unit="none", color_mode="background",
    text_mode="value",
    mappings=value_text({1: ("DEMO DATA (simulated Sentry org)", ORANGE), 0: ("Live Sentry data", GREEN)}),
)

total_unresolved = count_stat(
    "Unresolved issues", "Unresolved issues seen in the exporter's issues window (SENTRY_ISSUES_PERIOD), "
    "for the selected projects, levels and environments.",
    f"sum({ISSUES})", (25, YELLOW), (100, RED),
)

new_24h = count_stat(
    "New issues (24h)", "Issues whose first event ever was in the last 24 hours.",
    'sum(sentry_issues_new_24h{org=~"$org", project=~"$project"})', (1, YELLOW), (10, RED),
)

regressions = count_stat(
    "Regressions in range", "Resolved issues that came back (transition=regressed) during the dashboard's "
    "time range.",
    f'sum(increase(sentry_issue_transitions_total{{{SELECT}, transition="regressed"}}[$__range]))',
    (1, RED),
)

by_substatus = pie_by(
    "Unresolved by substatus", "Unresolved issues split by Sentry substatus: new, ongoing, escalating, "
    "regressed, archived_until_escalating …",
    "substatus", ISSUES,
)

by_level = bars_by(
    "Unresolved by level", "Unresolved issues per level (fatal, error, warning, info, debug).",
    "level", ISSUES,
)

by_project = bars_by(
    "Unresolved by project", "Unresolved issues per Sentry project.",
    "project", ISSUES,
)

accepted_per_project = timeseries(
    "Accepted errors per project (stats)", "Error events Sentry accepted per project, from the "
    "stats_v2 counter sentry_events_total (hourly resolution, so averaged over 1h).",
    [prom('sum by (org, project) (rate(sentry_events_total{org=~"$org", project=~"$project", category="error", '
          'outcome="accepted"}[1h])) * 60', legend="{{project}}")], unit="cpm",
)

issue_events_per_project = timeseries(
    "Issue events per project (per minute)", "Events added to unresolved issues between polls "
    "(growth of each issue's lifetime count), averaged over 5 minutes: the minute-resolution error trend.",
    [prom(f"sum by (org, project) (rate(sentry_issue_events_total{{{SELECT}}}[5m])) * 60", legend="{{project}}")],
    unit="cpm",
)

top_issues = table(
    "Top issues", "The exporter's top issues by events in the window, with users, first/last seen "
    "and assignee. Click a row to open the issue in Sentry.",
    [prom(f"sentry_issue_window_events{{org=~\"$org\", project=~\"$project\"}} * on(org, issue, project) "
          f"group_left(title, level, assignee, permalink) {INFO}", table=True),
     prom(per_issue("sentry_issue_users"), table=True),
     prom(per_issue("sentry_issue_first_seen_timestamp_seconds", scale="1000 * "), table=True),
     prom(per_issue("sentry_issue_last_seen_timestamp_seconds", scale="1000 * "), table=True)],
    unit="short", sort_by="Events",
    links=[link("Open issue in Sentry", "${__data.fields.permalink}")],
    transformations=[
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {
            "excludeByName": {"Time": True, "job": True, "instance": True},
            "indexByName": {"issue": 0, "title": 1, "org": 2, "project": 3, "level": 4, "Value #A": 5, "Value #B": 6,
                            "Value #C": 7, "Value #D": 8, "assignee": 9, "permalink": 10},
            "renameByName": {"issue": "Issue", "title": "Title", "org": "Org", "project": "Project", "level": "Level",
                             "Value #A": "Events", "Value #B": "Users", "Value #C": "First seen",
                             "Value #D": "Last seen", "assignee": "Assignee"}}},
        {"id": "convertFieldType", "options": {"fields": {}, "conversions": [
            {"targetField": "First seen", "destinationType": "time"},
            {"targetField": "Last seen", "destinationType": "time"}]}},
    ],
)

transitions = timeseries(
    "Issue transitions (1h)", "Issues that became new, regressed or escalating in the preceding hour.",
    [prom(f'sum by (org, transition) (increase(sentry_issue_transitions_total{{{SELECT}, '
          'transition=~"new|regressed|escalating"}[1h]))', legend="{{transition}}")], unit="short", stack=True,
)

transition_logs = {
    "name": "Issue transitions (exporter logs)", "enable": True, "hide": False, "iconColor": ORANGE,
    "datasource": LOKI, "expr": f'{EXPORTER_LOGS} |= "issue_transition"',
}

dashboard = dashboard(
    uid="sentry-overview", title="Sentry overview",
    description="Unresolved Sentry issues, the top issues with links to Sentry, and event volume.",
    tags=["overview"],
    variables=[
        variable("project", "Project", f"sentry_issues{{{ORG}}}", "project", "Sentry project slug"),
        variable("environment", "Environment", f'sentry_issues{{{ORG}, project=~"$project"}}', "environment",
                 "Only exported when SENTRY_ENVIRONMENTS is set; All also matches series without it",
                 all_value=".*"),
        variable("level", "Level", 'sentry_issues{org=~"$org", project=~"$project"}', "level", "Issue level"),
    ],
    annotations=[alert_annotation(), deploy_annotation(), release_annotation(), transition_logs],
    rows=[
        (4, [demo_banner, total_unresolved, new_24h, regressions]),
        (9, [by_substatus, by_level, by_project]),
        (9, [accepted_per_project, issue_events_per_project]),
        (12, [top_issues]),
        (8, [transitions]),
    ],
)
