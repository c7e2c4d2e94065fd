"""Turns the current snapshot into metric families. Runs on every scrape: it never calls Sentry."""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from prometheus_client.core import CounterMetricFamily, Exemplar, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import __version__
from .config import Config
from .cardinality import OTHER
from .pollers.impact import ImpactResult
from .pollers.issues import IssuesResult
from .pollers.releases import ReleasesResult
from .pollers.stats import StatsResult
from .sentry.client import ApiStats
from .snapshot import SnapshotStore

CACHED = " Cached from the latest successful background poll."
ISSUE_LABELS = ["project", "level", "substatus", "priority", "assignee"]
# Metrics whose series come from individual issues, names or tag values: each is capped.
GUARDED = ("sentry_issues", "sentry_issue_events", "sentry_issue_users", "sentry_issue_first_seen_timestamp_seconds",
           "sentry_issue_last_seen_timestamp_seconds", "sentry_issue_info", "sentry_issue_tag_values")


class SentryCollector(Collector):
    def __init__(self, store: SnapshotStore, api: ApiStats, pacer_windows, config: Config):
        self._store, self._api, self._windows, self._config = store, api, pacer_windows, config

    def describe(self) -> list[Metric]:
        return []  # registering must not trigger a collect()

    def collect(self) -> Iterator[Metric]:
        snapshot = self._store.current()
        r = snapshot.results
        dropped: Counter[str] = Counter({name: 0 for name in GUARDED})
        yield from self._exporter(snapshot.pollers)
        if r.issues is not None:
            yield from self._issues(r.issues, dropped)
        if r.stats is not None:
            yield from self._stats(r.stats)
        if r.impact is not None:
            yield from self._impact(r.impact, r.issues.assignees if r.issues else {}, dropped)
        if r.releases is not None:
            yield from self._releases(r.releases)
        yield from self._api_metrics()
        guard = GaugeMetricFamily("sentry_series_dropped", "Series left out of this exposition by the cardinality "
                                  "guard (SENTRY_MAX_ISSUE_SERIES per metric); for sentry_issues, series folded into "
                                  f"assignee=\"{OTHER}\" (its sums stay exact).", labels=["metric"])
        for name, count in sorted(dropped.items()):
            guard.add_metric([name], count)
        yield guard

    def _exporter(self, states) -> Iterator[Metric]:
        yield _gauge("sentry_up", "1 when the latest run of every poller succeeded, else 0.",
                     value=float(all(s.ok for s in states.values())))
        yield _gauge("sentry_exporter_demo", "1 when the data comes from the built-in demo simulator, not Sentry.",
                     value=float(self._config.demo))
        build = GaugeMetricFamily("sentry_exporter_build_info", "Exporter version.", labels=["version"])
        build.add_metric([__version__], 1)
        yield build
        success = GaugeMetricFamily("sentry_poll_success", "1 when the latest run of the poller succeeded.",
                                    labels=["poller"])
        last = GaugeMetricFamily("sentry_last_success_timestamp_seconds",
                                 "When the poller last succeeded; the age of the data it serves.", labels=["poller"])
        duration = GaugeMetricFamily("sentry_poll_duration_seconds", "Wall time of the poller's latest run.",
                                     labels=["poller"], unit="")
        polls = CounterMetricFamily("sentry_polls", "Runs of each poller by result; the exemplar's trace_id is the "
                                    "latest run's trace in Tempo.", labels=["poller", "result"])
        for name, state in sorted(states.items()):
            if state.ran:
                success.add_metric([name], float(state.ok))
                duration.add_metric([name], state.duration or 0.0)
                latest = "success" if state.ok else "failure"
                for result, count in (("success", state.runs - state.failures), ("failure", state.failures)):
                    exemplar = Exemplar({"trace_id": state.trace_id}, count) \
                        if result == latest and state.trace_id else None
                    polls.add_metric([name, result], count, exemplar=exemplar)
            if state.last_success is not None:
                last.add_metric([name], state.last_success)
        yield from (success, last, duration, polls)

    def _issues(self, r: IssuesResult, dropped: dict[str, int]) -> Iterator[Metric]:
        labels = ISSUE_LABELS + (["environment"] if r.by_environment else [])
        note = " With SENTRY_ENVIRONMENTS, an issue seen in several environments counts once in each." \
            if r.by_environment else ""
        issues = GaugeMetricFamily("sentry_issues", f"Unresolved issues seen in the last {self._config.issues_period}."
                                   + note + f" Beyond SENTRY_MAX_ISSUE_SERIES series, the least frequent assignees "
                                   f"count as assignee=\"{OTHER}\"." + CACHED, labels=labels)
        dropped["sentry_issues"] = r.folded_series
        for key, count in sorted(r.counts.items()):
            issues.add_metric(list(key), count)
        yield issues
        truncated = GaugeMetricFamily("sentry_issues_truncated",
                                      "1 when SENTRY_MAX_ISSUES cut the issue listing short: counts are then low.",
                                      labels=["query"])
        for query, cut in sorted(r.truncated.items()):
            truncated.add_metric([query], float(cut))
        yield truncated

        per_issue = {
            "sentry_issue_events": ("Events of a top issue in the issues window.", lambda i: i.events),
            "sentry_issue_users": ("Users affected by a top issue in the issues window.", lambda i: i.users),
            "sentry_issue_first_seen_timestamp_seconds": ("When a top issue was first seen.", lambda i: i.first_seen),
            "sentry_issue_last_seen_timestamp_seconds": ("When a top issue was last seen.", lambda i: i.last_seen),
        }
        top = r.top[:self._config.max_issue_series]
        for name, (help_text, value_of) in per_issue.items():
            family = GaugeMetricFamily(name, f"{help_text} Only the top SENTRY_TOP_ISSUES issues by events." + CACHED,
                                       labels=["issue", "project"])
            for issue in top:
                value = value_of(issue)
                if value is not None:
                    family.add_metric([issue.short_id, issue.project], value)
            dropped[name] = sum(value_of(issue) is not None for issue in r.top[len(top):])
            yield family
        info = GaugeMetricFamily("sentry_issue_info", "Descriptive labels of a top issue; always 1.",
                                 labels=["issue", "project", "title", "culprit", "level", "substatus", "priority",
                                         "assignee", "permalink"])
        for i in top:
            info.add_metric([i.short_id, i.project, i.title, i.culprit, i.level, i.substatus, i.priority,
                             i.assignee, i.permalink], 1)
        dropped["sentry_issue_info"] = len(r.top) - len(top)
        yield info

        new = GaugeMetricFamily("sentry_issues_new_24h", "Unresolved issues first seen in the last 24h." + CACHED,
                                labels=["project"])
        for project, count in sorted(r.new_24h.items()):
            new.add_metric([project], count)
        yield new
        env = ["environment"] if r.by_environment else []
        transitions = CounterMetricFamily(
            "sentry_issue_transitions", "Issue lifecycle changes seen between polls since the exporter started: "
            "new, regressed, escalating, or left (the unresolved set: resolved, archived, merged or aged out).",
            labels=["project", "level", *env, "transition"])
        for key, count in sorted(r.transitions.items()):
            transitions.add_metric(list(key), count)
        yield transitions
        events = CounterMetricFamily(
            "sentry_issue_events", "Error events of unresolved issues since the exporter started, from the growth "
            "of each issue's lifetime count between polls (poll resolution).", labels=["project", "level", *env])
        for key, count in sorted(r.events_total.items()):
            events.add_metric(list(key), count)
        yield events
        if self._config.queries:
            query = GaugeMetricFamily("sentry_query_issues", "Issues matching a named query from the config file."
                                      + CACHED, labels=["query", "project"])
            for key, count in sorted(r.query_counts.items()):
                query.add_metric(list(key), count)
            yield query

    def _stats(self, r: StatsResult) -> Iterator[Metric]:
        events = CounterMetricFamily(
            "sentry_events", "Events by outcome since the start of the billing period (resets then), from stats_v2 "
            "at hour resolution. Attachments (bytes) and profile durations (ms) are not events and not counted.",
            labels=["project", "category", "outcome"])
        for key, count in sorted(r.events.items()):
            events.add_metric(list(key), count)
        yield events
        yield _gauge("sentry_quota_period_start_timestamp_seconds", "Start of the current billing period.",
                     value=r.period_start)
        yield _gauge("sentry_projects", "Projects the exporter polls (all it can see, or SENTRY_PROJECTS).",
                     value=r.projects)
        budget = GaugeMetricFamily("sentry_quota_budget_events", "Configured event budget per billing period.",
                                   labels=["category"])
        for category, amount in self._config.quota_budgets:
            budget.add_metric([category], amount)
        yield budget

    def _impact(self, r: ImpactResult, assignees: dict[str, str], dropped: dict[str, int]) -> Iterator[Metric]:
        values = GaugeMetricFamily(
            "sentry_issue_tag_values", "Distinct values of an impact tag (SENTRY_IMPACT_TAGS) on a top issue's events "
            "in the last 24h, with its routing tags (SENTRY_ISSUE_LABEL_TAGS) and owner as labels." + CACHED,
            labels=["issue", "project", "tag", "assignee", *r.label_names])
        budget = self._config.max_issue_series
        for row in r.rows:  # ranked by events: whole issues are kept, the least active first to go
            if len(row.tag_values) > budget:
                dropped["sentry_issue_tag_values"] += len(row.tag_values)
                continue
            budget -= len(row.tag_values)
            owner = assignees.get(row.issue, "unknown")  # unknown: not in the unresolved listing
            for tag, count in sorted(row.tag_values.items()):
                values.add_metric([row.issue, row.project, tag, owner, *(row.labels[n] for n in r.label_names)],
                                  count)
        yield values

    def _releases(self, r: ReleasesResult) -> Iterator[Metric]:
        info = GaugeMetricFamily("sentry_release_info", "The newest releases of each project; latest=\"true\" marks "
                                 "the newest. Always 1.", labels=["project", "release", "latest"])
        for project, versions in sorted(r.latest.items()):
            for position, version in enumerate(versions):
                info.add_metric([project, version, "true" if position == 0 else "false"], 1)
        yield info
        labels = ["project", "release", "environment"]
        sessions = GaugeMetricFamily("sentry_release_sessions", "Sessions of a release in the last 24h." + CACHED,
                                     labels=labels)
        crash_free = {
            "sessions": GaugeMetricFamily("sentry_release_crash_free_sessions_ratio",
                                          "Share of a release's sessions in the last 24h that did not crash (0-1)."
                                          + CACHED, labels=labels),
            "users": GaugeMetricFamily("sentry_release_crash_free_users_ratio",
                                       "Share of a release's users in the last 24h who saw no crash (0-1)." + CACHED,
                                       labels=labels),
        }
        for h in r.health:
            key = [h.project, h.release, h.environment]
            sessions.add_metric(key, h.sessions)
            if h.crash_free_sessions is not None:
                crash_free["sessions"].add_metric(key, h.crash_free_sessions)
            if h.crash_free_users is not None:
                crash_free["users"].add_metric(key, h.crash_free_users)
        yield sessions
        yield from crash_free.values()

    def _api_metrics(self) -> Iterator[Metric]:
        requests, malformed = self._api.copy()
        calls = CounterMetricFamily("sentry_api_requests", "Requests sent to the Sentry API, by HTTP status "
                                    "('error' when no response came).", labels=["endpoint", "code"])
        for key, count in sorted(requests.items()):
            calls.add_metric(list(key), count)
        yield calls
        bad = CounterMetricFamily("sentry_api_malformed_responses", "Responses or items that did not parse as the "
                                  "API contract promises and were skipped.", labels=["endpoint"])
        for endpoint, count in sorted(malformed.items()):
            bad.add_metric([endpoint], count)
        yield bad
        remaining = GaugeMetricFamily("sentry_api_rate_limit_remaining",
                                      "Requests left in Sentry's current rate-limit window, from its headers.",
                                      labels=["endpoint"])
        limit = GaugeMetricFamily("sentry_api_rate_limit_limit", "Sentry's rate limit per window, from its headers.",
                                  labels=["endpoint"])
        for endpoint, window in sorted(self._windows().items()):
            if window.limit is not None:
                limit.add_metric([endpoint], window.limit)
            if window.remaining is not None:
                remaining.add_metric([endpoint], window.remaining)
        yield from (remaining, limit)


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)
