"""Sentry Crons and Uptime: which scheduled jobs missed, failed or timed out, and which endpoints are down."""
from common import (BLUE, GREEN, ORANGE, ORG, RED, YELLOW, alert_annotation, bargauge, count_stat, dashboard, prom,
                    state_timeline, steps, table, timeseries, value_text, variable)

SELECT = f'{ORG}, project=~"$project", environment=~"$environment"'


def monitor(metric, matcher=""):
    """A monitor metric of the selected projects and environments, with one more matcher."""
    return f"{metric}{{{SELECT}{', ' + matcher if matcher else ''}}}"


# A monitor environment's status as one number for the grid: 0 active (no check-in yet), 1 ok, 2 error, 3 disabled.
STATUS_CODE = " + ".join(f"{factor}sum without (status) ({monitor('sentry_monitor_status', 'status=' + state)})"
                         for factor, state in (("", '"ok"'), ("2 * ", '"error"'), ("3 * ", '"disabled"')))
FAILING = monitor("sentry_monitor_status", 'status="error"')
BAD_CHECKINS = monitor("sentry_monitor_checkins_total", 'status=~"missed|error|timeout"')
WITH_TEAM = f"* on (org, project, monitor) group_left (team) sentry_monitor_info{{{ORG}}}"
DEADLINE = monitor("sentry_monitor_next_checkin_latest_timestamp_seconds")

failing = count_stat(
    "Monitors failing", "Monitor environments with an open incident in Sentry (status error).",
    f"sum({FAILING})", (1, RED),
)

overdue = count_stat(
    "Overdue check-ins", "Monitor environments past their latest expected check-in (nextCheckInLatest: the "
    "expected time plus the margin) and not muted.",
    f"sum((time() - {DEADLINE} > bool 0) unless on (org, project, monitor, environment) "
    f"(sentry_monitor_muted{{{SELECT}}} == 1))",
    (1, ORANGE),
)

missed_24h = count_stat(
    "Missed or failed check-ins (24h)", "Check-ins with status missed, error or timeout in the last 24 hours, "
    "counted by the exporter since it started.",
    f"sum(increase({BAD_CHECKINS}[24h]))", (1, YELLOW),
)

uptime_down = count_stat(
    "Uptime monitors down", "Uptime monitors with an open downtime incident in Sentry.",
    f"sum(1 - sentry_uptime_up{{{SELECT}}})", (1, RED),
)

status_grid = state_timeline(
    "Monitor status", "Each monitor environment's status over time: OK, failing (an open incident), "
    "active (no check-in yet) or disabled.",
    [prom(STATUS_CODE, legend="{{monitor}} ({{environment}})")],
    mappings=value_text({0: ("active", BLUE), 1: ("OK", GREEN), 2: ("failing", RED), 3: ("disabled", "gray")}),
    thresholds=steps((None, BLUE)),
)

uptime_now = bargauge(
    "Uptime monitors", "1 while an uptime monitor is up in Sentry, 0 while it has an open downtime incident.",
    [prom(f"sentry_uptime_up{{{SELECT}}}", legend="{{url}} ({{environment}})", instant=True)], unit="none",
    thresholds=steps((None, RED), (1, GREEN)), max_value=1,
)

bad_checkins = timeseries(
    "Missed and failed check-ins", "Check-ins per hour with status missed, error or timeout, per monitor.",
    [prom(f"sum by (org, monitor, environment, status) (increase({BAD_CHECKINS}[1h]))",
          legend="{{monitor}} ({{environment}}) {{status}}")],
    unit="short",
)

durations = timeseries(
    "Check-in duration", "Duration of each monitor environment's newest finished check-in.",
    [prom(monitor("sentry_monitor_last_checkin_duration_seconds"), legend="{{monitor}} ({{environment}})")],
    unit="s",
)

uptime_checks = timeseries(
    "Uptime check results", "Uptime checks per hour by outcome, per monitored URL (Discover's uptime_results).",
    [prom(f"sum by (org, url, outcome) (increase(sentry_uptime_checks_total{{{SELECT}}}[1h]))",
          legend="{{url}} {{outcome}}")], unit="short", stack=True,
)

uptime_durations = timeseries(
    "Uptime check duration", "How long the latest check of each URL took.",
    [prom(f"sentry_uptime_last_check_duration_seconds{{{SELECT}}}", legend="{{url}} ({{environment}})")],
    unit="s",
)

monitors_table = table(
    "Monitors", "Every cron monitor environment: its owner team, when it last checked in and when the next "
    "check-in is due at the latest.",
    [prom(f'{monitor("sentry_monitor_last_checkin_timestamp_seconds")} * 1000 {WITH_TEAM}', table=True),
     prom(f"{DEADLINE} * 1000 {WITH_TEAM}", table=True)],
    unit="dateTimeAsIso", sort_by="Due by",
    transformations=[
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {
            "excludeByName": {"Time": True, "job": True, "instance": True},
            "indexByName": {"project": 0, "monitor": 1, "environment": 2, "team": 3, "Value #A": 4, "Value #B": 5},
            "renameByName": {"project": "Project", "monitor": "Monitor", "environment": "Environment",
                             "team": "Owner team", "Value #A": "Last check-in", "Value #B": "Due by"}}},
    ],
)

dashboard = dashboard(
    uid="sentry-crons", title="Sentry crons & uptime",
    description="Sentry Crons monitors (missed, failed, timed-out check-ins) and Sentry Uptime monitors.",
    tags=["crons", "uptime"],
    variables=[
        variable("project", "Project", f'{{__name__=~"sentry_monitor_info|sentry_uptime_up", {ORG}}}', "project",
                 "Sentry project slug"),
        variable("environment", "Environment",
                 f'{{__name__=~"sentry_monitor_status|sentry_uptime_up", {ORG}, project=~"$project"}}', "environment",
                 "Monitor or uptime monitor environment"),
    ],
    annotations=[alert_annotation("SentryCron.*|SentryUptime.*")],
    rows=[
        (4, [failing, overdue, missed_24h, uptime_down]),
        (9, [(16, status_grid), uptime_now]),
        (9, [bad_checkins, durations]),
        (9, [uptime_checks, uptime_durations]),
        (9, [monitors_table]),
    ],
)
