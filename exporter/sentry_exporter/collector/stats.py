"""The stats poll: event outcomes of the billing period, its start, the projects and their teams, the budgets.

    sentry_events_total{project, category, outcome}
    sentry_quota_period_start_timestamp_seconds
    sentry_projects
    sentry_project_team_info{project, team, primary}      one per team of a project; primary="true" on the first
    sentry_quota_budget_events{category}
"""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..config import Config
from ..snapshot import Snapshot
from .family import filled, gauge, info


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.stats
    if r is None:
        return
    yield filled(CounterMetricFamily(
        "sentry_events", "Events by outcome since the start of the billing period (resets then), from stats_v2 "
        "at hour resolution; filtered_sampling: filtered by Dynamic Sampling (reason Sampled:…), apart from filtered. Byte-valued categories (attachment, log_byte) and profile durations (ms) are not events "
        "and not counted.",
        labels=["project", "category", "outcome"]), r.events)
    yield gauge("sentry_quota_period_start_timestamp_seconds", "Start of the current billing period.",
                value=r.period_start)
    yield gauge("sentry_projects", "Projects the exporter polls (all it can see, or SENTRY_PROJECTS).",
                value=r.projects)
    # Sentry's own `team` of a project is the first of its `teams` (ProjectSummarySerializer): the alerts
    # route by that one (primary="true"), so a project of several teams pages one of them, always the same.
    yield info("sentry_project_team_info", "Every team of a project, in Sentry's order; primary=\"true\" on the "
               "first, Sentry's `team` of the project, which alerts about the project route to. Always 1.",
               ["project", "team", "primary"],
               ([project, team, str(i == 0).lower()] for project, teams in sorted(r.teams.items())
                for i, team in enumerate(teams)))
    budget = GaugeMetricFamily("sentry_quota_budget_events", "Configured event budget per billing period.",
                               labels=["category"])
    for category, amount in config.quota_budgets:
        budget.add_metric([category], amount)
    yield budget
