"""Impact & ownership: who owns the unresolved issues and which ones hurt the most customers."""
from common import (GREEN, ORANGE, ORG, RED, YELLOW, bargauge, bars_by, count_stat, dashboard, link, pie_by, prom,
                    stat, steps, table, timeseries, value_text, variable)


def issues(extra=""):
    return f'sentry_issues{{org=~"$org", project=~"$project", level=~"$level", assignee=~"$assignee"{extra}}}'


def info(extra=""):
    return f'sentry_issue_info{{org=~"$org", project=~"$project", level=~"$level", assignee=~"$assignee"{extra}}}'


TAG_VALUES = 'sentry_issue_tag_values{org=~"$org", project=~"$project", tag=~"$tag", assignee=~"$assignee"}'
# The alert rule SentryIssueHighImpact pages on exactly this comparison (thresholds per tag and
# release_stage tier: the exporter's SENTRY_IMPACT_THRESHOLDS).
OVER_THRESHOLD = (f'({TAG_VALUES} > on (org, tag, release_stage) group_left () '
                  'max by (org, tag, release_stage) (sentry_impact_threshold{org=~"$org"}))')
# Title and permalink where the issue is also a top issue; a paging issue outside that top N keeps its row.
OVER_THRESHOLD_TITLED = (f"{OVER_THRESHOLD} * on(org, issue, project) group_left(title, permalink) "
                         'max by (org, issue, project, title, permalink) (sentry_issue_info{org=~"$org", project=~"$project"}) '
                         f"or on(org, issue, project, tag, release_stage) {OVER_THRESHOLD}")
UNASSIGNED = issues(', assignee="unassigned"')
ASSIGNED = issues(', assignee!="unassigned"')
ESCALATING = issues(', substatus="escalating"')
ESCALATING_INFO = info(', substatus="escalating"')
OPEN_IN_SENTRY = link("Open issue in Sentry", "${__field.labels.permalink}")

unassigned = count_stat(
    "Unassigned issues", "Unresolved issues nobody owns (assignee = unassigned).",
    f'sum({UNASSIGNED})', (1, YELLOW), (20, RED),
)

escalating = count_stat(
    "Escalating issues", "Unresolved issues Sentry marks as escalating (substatus = escalating).",
    f'sum({ESCALATING})', (1, ORANGE),
)

over_threshold_count = count_stat(
    "Paging-level issues", "Issues whose distinct impact-tag values in 24h exceed the "
    "threshold of their tag and release_stage tier: the issues SentryIssueHighImpact pages for.",
    f"count(count by (org, issue, project) {OVER_THRESHOLD})", (1, RED),
)

p0_armed = stat(
    "P0 page", "Whether the exporter measures impact (SENTRY_IMPACT_TAGS): without it SentryIssueHighImpact "
    "can never fire. Set SENTRY_IMPACT_TAGS (e.g. workspace_id) and SENTRY_ISSUE_LABEL_TAGS (e.g. release_stage).",
    [prom('min(sentry_impact_configured{org=~"$org"})', instant=True)], unit="short",
    thresholds=steps((None, ORANGE), (1, GREEN)),
    mappings=value_text({0: ("NOT ARMED: set SENTRY_IMPACT_TAGS", ORANGE), 1: ("Armed", GREEN)}),
)

owners = stat(
    "Owners with open issues", "Distinct teams or users assigned to at least one unresolved issue.",
    [prom(f'count(count by (org, assignee) ({ASSIGNED}))', instant=True)],
    unit="short",
)

by_assignee = bars_by(
    "Unresolved by assignee / team", "Unresolved issues per owning team or user; unassigned included.",
    "assignee", issues(),
)

by_priority = pie_by(
    "Unresolved by priority", "Unresolved issues split by Sentry priority (high, medium, low).",
    "priority", issues(),
)

top_by_users = bargauge(
    "Top issues by users", "The ten top issues with the most distinct users in the window. "
    "Click a bar to open the issue in Sentry.",
    [prom(f'topk(10, sentry_issue_users{{org=~"$org", project=~"$project"}} * on(org, issue, project) '
          f"group_left(title, permalink) {info()})", legend="{{issue}} · {{title}}", instant=True)],
    unit="short", links=[OPEN_IN_SENTRY],
)

top_by_tag = bargauge(
    "Top issues by distinct workspaces / tenants", "Issues with the most distinct values of an impact tag "
    "(SENTRY_IMPACT_TAGS, e.g. workspace_id, tenant_id) in the last 24h. Click a bar to open the issue.",
    [prom(f"topk(10, max by (org, issue, project, tag) ({TAG_VALUES}) * on(org, issue, project) "
          'group_left(title, permalink) sentry_issue_info{org=~"$org", project=~"$project"})',
          legend="{{issue}} · {{tag}} · {{title}}", instant=True)],
    unit="short", links=[OPEN_IN_SENTRY],
)

over_threshold = table(
    "Issues over the paging threshold", "Each issue, impact tag and tier whose distinct values in 24h exceed "
    "the paging threshold, top issue or not. Click a row to open the issue in Sentry (title and link are "
    "known for the top SENTRY_TOP_ISSUES issues).",
    [prom(OVER_THRESHOLD_TITLED, table=True)],
    unit="short", sort_by="Distinct values",
    links=[link("Open issue in Sentry", "${__data.fields.permalink}")],
    transformations=[{"id": "organize", "options": {
        "excludeByName": {"Time": True, "job": True, "instance": True, "__name__": True},
        "renameByName": {"Value": "Distinct values", "issue": "Issue", "title": "Title", "project": "Project",
                         "tag": "Tag", "assignee": "Assignee"}}}],
)

escalating_list = table(
    "Escalating top issues", "Top issues currently escalating, with events in the window and owner. "
    "Click a row to open the issue in Sentry.",
    [prom('sentry_issue_window_events{org=~"$org", project=~"$project"} * on(org, issue, project) '
          f'group_left(title, assignee, permalink) {ESCALATING_INFO}',
          table=True)],
    unit="short", sort_by="Events",
    links=[link("Open issue in Sentry", "${__data.fields.permalink}")],
    transformations=[{"id": "organize", "options": {
        "excludeByName": {"Time": True, "job": True, "instance": True},
        "renameByName": {"Value": "Events", "issue": "Issue", "title": "Title", "project": "Project",
                         "assignee": "Assignee"}}}],
)

escalations = timeseries(
    "Escalations per project (1h)", "Issues that became escalating in the preceding hour, per project.",
    [prom('sum by (org, project) (increase(sentry_issue_transitions_total{org=~"$org", transition="escalating", '
          'project=~"$project", level=~"$level"}[1h]))', legend="{{project}}")],
    unit="short", stack=True,
)

dashboard = dashboard(
    uid="sentry-impact", title="Sentry impact & ownership",
    description="Who owns the unresolved issues, which issues reach the most users and customers, "
                "and which ones page.",
    tags=["impact"],
    variables=[
        variable("project", "Project", f"sentry_issues{{{ORG}}}", "project", "Sentry project slug"),
        variable("level", "Level", 'sentry_issues{org=~"$org", project=~"$project"}', "level", "Issue level"),
        # ".*": GlitchTip's issues have no assignee (an empty label), and "All" must still match them
        variable("assignee", "Assignee", 'sentry_issues{org=~"$org", project=~"$project"}', "assignee",
                 "Owning team or user, or unassigned", all_value=".*"),
        variable("tag", "Impact tag", f"sentry_issue_tag_values{{{ORG}}}", "tag",
                 "Impact tag counted per issue (SENTRY_IMPACT_TAGS)", all_value=".*"),
    ],
    rows=[
        (4, [unassigned, escalating, over_threshold_count, p0_armed, owners]),
        (9, [(14, by_assignee), by_priority]),
        (10, [top_by_users, top_by_tag]),
        (9, [over_threshold, escalating_list]),
        (8, [escalations]),
    ],
)
