"""Quota & ingestion: what Sentry accepted, dropped and rate-limited, per project and category."""
from common import (BLUE, GREEN, ORANGE, ORG, RED, YELLOW, bargauge, dashboard, gauge, prom, stat, steps, table,
                    timeseries, variable)


def events(extra=""):
    """Events since the billing period started (the stats_v2 counter resets at period start)."""
    return f'sentry_events_total{{org=~"$org", project=~"$project", category=~"$category"{extra}}}'


def period_total(outcome, title, description, color):
    selector = events(f', outcome="{outcome}"')
    return stat(title, description, [prom(f"sum({selector})", instant=True)],
                unit="short", thresholds=steps((None, color)))


accepted = period_total("accepted", "Accepted this period", "Events Sentry accepted (and bills) since the "
                        "billing period started.", GREEN)
filtered = period_total("filtered", "Filtered this period", "Events dropped by inbound filters "
                        "(browser extensions, localhost, …) since the period started.", BLUE)
rate_limited = period_total("rate_limited", "Rate-limited this period", "Events Sentry refused because a "
                            "rate limit or the quota was hit, since the period started.", ORANGE)
invalid = period_total("invalid", "Invalid this period", "Events Sentry rejected as malformed since the period "
                       "started.", YELLOW)

RATE_LIMITED = events(', outcome="rate_limited"')
ACCEPTED = events(', outcome="accepted"')
NOT_ACCEPTED = events(', outcome!="accepted"')

limited_share = stat(
    "Rate-limited share this period", "Rate-limited events as a share of all outcomes since the period started.",
    [prom(f"sum({RATE_LIMITED}) / sum({events()})", instant=True)], unit="percentunit",
    thresholds=steps((None, GREEN), (0.01, YELLOW), (0.1, RED)),
)

period_start = stat(
    "Billing period started", "Start of the current billing period; the event counters restart there.",
    [prom(f"max(sentry_quota_period_start_timestamp_seconds{{{ORG}}}) * 1000", instant=True)], unit="dateTimeFromNow",
)

by_outcome = timeseries(
    "Events per hour by outcome", "Events per hour, split by outcome, from the hourly stats_v2 counters "
    "(rolling one-hour rate).",
    [prom(f"sum by (org, outcome) (rate({events()}[1h])) * 3600", legend="{{outcome}}")], unit="short", stack=True,
)

share_over_time = timeseries(
    "Rate-limited share per project", "Share of each project's events that Sentry rate-limited, over the "
    "last hour. Gaps: no events in that hour.",
    [prom(f"sum by (org, project) (rate({RATE_LIMITED}[1h])) / sum by (org, project) (rate({events()}[1h]))",
          legend="{{project}}")], unit="percentunit",
)

accepted_by_project = bargauge(
    "Accepted this period by project and category", "Accepted events per project and data category since the "
    "billing period started.",
    [prom(f'sort_desc(sum by (org, project, category) ({ACCEPTED}))',
          legend="{{project}} · {{category}}", instant=True)], unit="short",
)

dropped_by_project = bargauge(
    "Dropped this period by project and outcome", "Events Sentry did not accept (filtered, rate-limited, "
    "invalid, abuse, client discards, …) per project since the billing period started.",
    [prom(f'sort_desc(sum by (org, project, outcome) ({NOT_ACCEPTED}))',
          legend="{{project}} · {{outcome}}", instant=True)], unit="short",
    thresholds=steps((None, ORANGE)),
)

outcome_matrix = table(
    "Outcomes per project (this period)", "Events per project (rows) and outcome (columns) since the billing "
    "period started, for the selected categories.",
    [prom(f"sum by (org, project, outcome) ({events()})", table=True)], unit="short",
    transformations=[{"id": "groupingToMatrix", "options": {
        "columnField": "outcome", "rowField": "project", "valueField": "Value", "emptyValue": "zero"}}],
)

this_period = timeseries(
    "Accepted so far: this period", "Accepted events since the billing period started, per category "
    "(the counter restarts at each period start).",
    [prom(f'sum by (org, category) ({ACCEPTED})', legend="{{category}}")], unit="short",
)

# Prometheus keeps 30 days (PROMETHEUS_RETENTION in docker-compose.yml, the image's default): a 30-day shift
# of the last 24 hours would read 30 to 31 days back, data already deleted. 28 days, with the default range,
# stays inside.
previous_period = timeseries(
    "Accepted so far: 4 weeks earlier", "The same curve 28 days earlier (panel time shift): the previous billing "
    "period near the same day (periods last 28 to 31 days, so up to 3 days off), on the same weekdays. "
    "Prometheus keeps 30 days of data: with a time range longer than 2 days, the start of this curve is empty.",
    [prom(f'sum by (org, category) ({ACCEPTED})', legend="{{category}}")], unit="short", time_shift="28d",
)

budget_used = gauge(
    "Quota budget used", "Accepted events this period as a share of the configured budget per category "
    "(sentry_quota_budget_events).",
    [prom(f'sum by (org, category) (sentry_events_total{{{ORG}, category=~"$category", outcome="accepted"}}) '
          f'/ on (org, category) '
          f'max by (org, category) (sentry_quota_budget_events{{{ORG}, category=~"$category"}} > 0)',
          legend="{{category}}", instant=True)],
    unit="percentunit", thresholds=steps((None, GREEN), (0.8, YELLOW), (1, RED)), max_value=1.2,
)

projected = bargauge(
    "Projected at period end", "Accepted events each category will reach by the end of the billing period "
    "if the last day's pace holds (recording rule category:sentry_events_accepted:projected_period_end).",
    [prom(f'category:sentry_events_accepted:projected_period_end{{{ORG}, category=~"$category"}}',
          legend="{{category}}", instant=True)], unit="short",
)

dashboard = dashboard(
    uid="sentry-quota", title="Sentry quota & ingestion",
    description="Accepted, filtered, rate-limited and invalid events per project and category, "
                "the rate-limited share and this billing period against the previous one.",
    tags=["quota"],
    variables=[
        variable("project", "Project", f"sentry_events_total{{{ORG}}}", "project", "Sentry project slug"),
        variable("category", "Category", 'sentry_events_total{org=~"$org", project=~"$project"}', "category",
                 "Data category: error, transaction, attachment, …"),
    ],
    rows=[
        (4, [accepted, filtered, rate_limited, invalid, limited_share, period_start]),
        (9, [by_outcome, share_over_time]),
        (9, [accepted_by_project, dropped_by_project, outcome_matrix]),
        (8, [this_period, previous_period]),
        (8, [budget_used, projected]),
    ],
)
