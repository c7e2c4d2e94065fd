"""Exporter & stack health: is the data fresh, how hard does the exporter hit Sentry's API."""
from common import (BLUE, EXPORTER_LOGS, EXPORTER_TRACES, EXPORTER_UP, GREEN, LOKI, ORANGE, ORG, RED, TEMPO, YELLOW,
                    bargauge, count_stat, dashboard, explore_url, link, logs, prom, stat, state_timeline, steps,
                    timeseries, trace_search, value_text, variable)

POLLER = f'{ORG}, poller=~"$poller"'
ENDPOINT = f'{ORG}, endpoint=~"$endpoint"'
UP_DOWN = value_text({1: ("UP", GREEN), 0: ("DOWN", RED)})
# 900 s = SentryDataStale's threshold (provisioning/prometheus/rules/sentry-config.rules.yml).
AGE = steps((None, GREEN), (300, YELLOW), (900, RED))
LOGS_URL = explore_url(LOKI, "expr", EXPORTER_LOGS)
TRACES_URL = explore_url(TEMPO, "query", EXPORTER_TRACES)

exporter_up = stat(
    "Sentry reachable", "sentry_up: 1 when the latest run of every poller succeeded.",
    [prom(f"min(sentry_up{{{ORG}}})", instant=True)], unit="none", color_mode="background", mappings=UP_DOWN,
    thresholds=steps((None, RED), (1, GREEN)),
)

scrape_up = stat(
    "Exporter scraped", "Prometheus' own `up` for the exporter job (the job named in the recording rule "
    "config:sentry_exporter_job:info): 1 when the last scrape worked. `up` has no org: the targets that served "
    "only other orgs in the last day are left out.",
    [prom(f"min({EXPORTER_UP})", instant=True)], unit="none", color_mode="background",
    mappings=UP_DOWN, thresholds=steps((None, RED), (1, GREEN)),
)

data_age = stat(
    "Data age (oldest poller)", "Seconds since the least recent successful poll among the selected pollers.",
    [prom(f"time() - min(sentry_last_success_timestamp_seconds{{{POLLER}}})", instant=True)], unit="s",
    thresholds=AGE,
)

projects = stat(
    "Projects polled", "Number of Sentry projects the exporter polls.",
    [prom(f"sum(sentry_projects{{{ORG}}})", instant=True)], unit="short",
)

truncated = count_stat(
    "Truncated listings", "Issue queries whose listing hit the per-query cap (counts are then lower bounds).",
    f"sum(sentry_issues_truncated{{{ORG}}})", (1, ORANGE),
)

version = stat(
    "Exporter version", "Version of the running exporter (sentry_exporter_build_info).",
    [prom(f"sentry_exporter_build_info{{{ORG}}}", legend="{{version}}", instant=True)], unit="none", text_mode="name",
)

poll_success = state_timeline(
    "Poll success per poller", "Whether the latest run of each poller succeeded, over time. UNSUPPORTED: this "
    "Sentry cannot serve the poller (a plan without the feature, a version without the endpoint); it has no "
    "data and is left out of sentry_up, /readyz and SentryDataStale. The reason label of "
    "sentry_poll_unsupported and the exporter log say why.",
    [prom(f"sentry_poll_success{{{POLLER}}} or on (org, instance, poller) 2 * sentry_poll_unsupported{{{POLLER}}}",
          legend="{{poller}}")],
    mappings=value_text({1: ("OK", GREEN), 0: ("FAILED", RED), 2: ("UNSUPPORTED", BLUE)}),
    thresholds=steps((None, RED), (1, GREEN), (2, BLUE)),
)

age_per_poller = bargauge(
    "Data age per poller", "Seconds since each poller last succeeded (time() - "
    "sentry_last_success_timestamp_seconds).",
    [prom(f"time() - sentry_last_success_timestamp_seconds{{{POLLER}}}", legend="{{poller}}", instant=True)],
    unit="s", thresholds=AGE,
)

poll_duration = timeseries(
    "Poll duration per poller", "Wall time of each poller's latest run, including paging and pacing.",
    [prom(f"sentry_poll_duration_seconds{{{POLLER}}}", legend="{{poller}}")], unit="s",
)

polls = timeseries(
    "Polls per poller", "Runs of each poller per 5 minutes, by result. The dots are exemplars: each carries the "
    "trace_id of a poll; click one to open that poll's trace in Tempo, and from there its logs in Loki.",
    [prom(f"sum by (org, poller, result) (increase(sentry_polls_total{{{POLLER}}}[5m]))",
          legend="{{poller}} {{result}}", exemplar=True)], unit="short",
)

api_calls = timeseries(
    "Sentry API calls per endpoint", "Requests the exporter sent to Sentry, per endpoint, per minute.",
    [prom(f"sum by (org, endpoint) (rate(sentry_api_requests_total{{{ENDPOINT}}}[$__rate_interval])) * 60",
          legend="{{endpoint}}")], unit="cpm", stack=True,
)

api_codes = timeseries(
    "Sentry API responses by status", "Responses per HTTP status code per minute; `error` = network failure.",
    [prom(f"sum by (org, code) (rate(sentry_api_requests_total{{{ENDPOINT}}}[$__rate_interval])) * 60",
          legend="{{code}}")], unit="cpm", stack=True,
)

throttled = timeseries(
    "429 responses per endpoint (5 min)", "Requests Sentry answered with 429 Too Many Requests in the preceding "
    "5 minutes, per endpoint.",
    [prom(f'sum by (org, endpoint) (increase(sentry_api_requests_total{{{ENDPOINT}, code="429"}}[5m]))',
          legend="{{endpoint}}")], unit="short", stack=True,
)

headroom = bargauge(
    "Rate-limit headroom", "Remaining requests in Sentry's current rate-limit window as a share of the limit, "
    "per bucket: Sentry counts issues, projects and sessions in one shared \"default\" bucket, together with "
    "the token owner's browser use (absent on self-hosted Sentry, which sends no rate-limit headers).",
    [prom(f"min by (org, bucket) "
          f"(sentry_api_rate_limit_remaining{{{ORG}}} / (sentry_api_rate_limit_limit{{{ORG}}} > 0))",
          legend="{{bucket}}", instant=True)],
    unit="percentunit", thresholds=steps((None, RED), (0.1, YELLOW), (0.3, GREEN)), max_value=1,
)

exporter_logs = logs(
    "Exporter logs", "The exporter's JSON logs from Loki; a trace_id field links to the poll's trace in Tempo.",
    EXPORTER_LOGS,
)

exporter_traces = trace_search(
    "Exporter traces", "Recent poll traces from Tempo (one trace per poll); click a trace id to open it.",
    EXPORTER_TRACES,
)

dashboard = dashboard(
    uid="sentry-exporter-health", title="Sentry exporter & stack health",
    description="Freshness of the Sentry data, poller health, API usage and rate limits, with the exporter's "
                "logs (Loki) and traces (Tempo).",
    tags=["exporter"],
    links=[link("Exporter logs (Explore)", LOGS_URL, new_tab=False),
           link("Exporter traces (Explore)", TRACES_URL, new_tab=False)],
    variables=[
        variable("poller", "Poller", f"sentry_polls_total{{{ORG}}}", "poller",
                 "Poll job: projects, issues, stats, …"),
        variable("endpoint", "Endpoint", f"sentry_api_requests_total{{{ORG}}}", "endpoint",
                 "Sentry API endpoint group"),
    ],
    rows=[
        (4, [exporter_up, scrape_up, data_age, projects, truncated, version]),
        (7, [poll_success, age_per_poller]),
        (8, [poll_duration, polls, api_calls]),
        (8, [api_codes, throttled, headroom]),
        (10, [exporter_logs, exporter_traces]),
    ],
)
