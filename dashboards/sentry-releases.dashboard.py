"""Release health: crash-free sessions and users per release, and the releases that hurt."""
from common import (GREEN, ORG, RED, YELLOW, bargauge, count_stat, dashboard, deploy_annotation, prom,
                    release_annotation, stat, steps, table, timeseries, variable)

SELECT = f'{ORG}, project=~"$project", environment=~"$environment"'
SESSIONS_OK = f"sentry_release_crash_free_sessions_ratio{{{SELECT}}}"
USERS_OK = f"sentry_release_crash_free_users_ratio{{{SELECT}}}"
SESSIONS = f"sentry_release_sessions{{{SELECT}}}"
LATEST = 'on (org, project, release) group_left () sentry_release_info{org=~"$org", project=~"$project", latest="true"}'
# SentryReleaseUnhealthy's objective (provisioning/prometheus/rules/sentry-config.rules.yml).
OBJECTIVE = 'scalar(config:sentry_alert_threshold:value{threshold="release_crash_free_sessions_ratio"})'
CRASH_FREE = steps((None, RED), (0.98, YELLOW), (0.995, GREEN))

below_objective = count_stat(
    "Latest releases below objective", "Latest releases (per project and environment) whose crash-free "
    "session rate is under the SentryReleaseUnhealthy objective.",
    f"count(({SESSIONS_OK} * {LATEST}) < {OBJECTIVE})", (1, RED),
)

worst_latest = stat(
    "Worst latest release", "Lowest crash-free session rate among the latest releases.",
    [prom(f"min({SESSIONS_OK} * {LATEST})", instant=True)], unit="percentunit", thresholds=CRASH_FREE,
)

sessions_24h = stat(
    "Sessions (24h)", "Sessions of all tracked releases in the last 24 hours.",
    [prom(f"sum({SESSIONS})", instant=True)], unit="short",
)

new_issues = count_stat(
    "New issues (24h)", "Issues first seen in the last 24 hours in the selected projects: what the latest "
    "releases brought.",
    'sum(sentry_issues_new_24h{org=~"$org", project=~"$project"})', (1, YELLOW), (10, RED),
)

sessions_over_time = timeseries(
    "Crash-free sessions per release", "Share of sessions without a crash, per release and environment.",
    [prom(SESSIONS_OK, legend="{{project}} {{release}} ({{environment}})")], unit="percentunit", min_zero=False,
)

users_over_time = timeseries(
    "Crash-free users per release", "Share of users who saw no crash, per release and environment.",
    [prom(USERS_OK, legend="{{project}} {{release}} ({{environment}})")], unit="percentunit", min_zero=False,
)

worst_releases = bargauge(
    "Worst releases (crash-free sessions)", "The ten releases with the lowest crash-free session rate.",
    [prom(f"bottomk(10, {SESSIONS_OK})", legend="{{project}} {{release}} ({{environment}})", instant=True)],
    unit="percentunit", thresholds=CRASH_FREE, min_value=0.9, max_value=1,
)

busiest_releases = bargauge(
    "Sessions per release (24h)", "The ten releases with the most sessions in the last 24 hours.",
    [prom(f"topk(10, {SESSIONS})", legend="{{project}} {{release}} ({{environment}})", instant=True)],
    unit="short",
)

latest_releases = table(
    "Latest releases", "Crash-free sessions and users of each project's latest release, per environment.",
    [prom(f"{SESSIONS_OK} * {LATEST}", table=True),
     prom(f"{USERS_OK} * {LATEST}", table=True)],
    unit="percentunit", sort_by="Crash-free sessions",
    transformations=[
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {
            "excludeByName": {"Time": True, "job": True, "instance": True},
            "indexByName": {"project": 0, "release": 1, "environment": 2, "Value #A": 3, "Value #B": 4},
            "renameByName": {"project": "Project", "release": "Release", "environment": "Environment",
                             "Value #A": "Crash-free sessions", "Value #B": "Crash-free users"}}},
    ],
)

new_by_project = bargauge(
    "New issues per project (24h)", "Issues first seen in the last 24 hours, per project.",
    [prom('sort_desc(sentry_issues_new_24h{org=~"$org", project=~"$project"})', legend="{{project}}", instant=True)],
    unit="short", thresholds=steps((None, YELLOW)),
)

dashboard = dashboard(
    uid="sentry-releases", title="Sentry release health",
    description="Crash-free sessions and users per release, the worst releases and new issues.",
    tags=["releases"],
    annotations=[deploy_annotation(), release_annotation()],
    variables=[
        variable("project", "Project", f"sentry_release_info{{{ORG}}}", "project", "Sentry project slug"),
        variable("environment", "Environment", 'sentry_release_sessions{org=~"$org", project=~"$project"}',
                 "environment", "Release environment"),
    ],
    rows=[
        (4, [below_objective, worst_latest, sessions_24h, new_issues]),
        (9, [sessions_over_time, users_over_time]),
        (9, [worst_releases, busiest_releases]),
        (9, [(16, latest_releases), new_by_project]),
    ],
)
