"""The issues poll: counts, the top issues, new issues, transitions, event growth and named queries."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..cardinality import OTHER, PER_ISSUE
from ..config import Config
from ..pollers.environment_events import LAG_HORIZON
from ..pollers.issues import IssuesResult
from ..snapshot import Snapshot
from .family import add_known, cached, filled, gauge, info

ISSUE_LABELS = ["project", "level", "substatus", "priority", "assignee"]
PER_ISSUE_HELP = {
    "sentry_issue_window_events": "Events of a top issue in the issues window.",
    "sentry_issue_users": "Users affected by a top issue in the issues window.",
    "sentry_issue_first_seen_timestamp_seconds": "When a top issue was first seen.",
    "sentry_issue_last_seen_timestamp_seconds": "When a top issue was last seen.",
}


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.issues
    if r is None:
        return
    yield from _counts(r, config)
    yield from _top(r)
    env = ["environment"] if r.by_environment else []
    yield filled(cached("sentry_issues_new_24h", "Unresolved issues first seen in the last 24h.", ["project"]),
                 r.new_24h)
    yield filled(CounterMetricFamily(
        "sentry_issue_transitions", "Issue lifecycle changes seen between polls since the exporter started: "
        "new, regressed, escalating, or left (the unresolved set: resolved, archived, merged or aged out). Every "
        "polled project, level and environment starts at 0, so increase() sees the first change.",
        labels=["project", "level", *env, "transition"]), r.transitions)
    source = ("Error events since the exporter started, per environment, from Discover count() over windows "
              f"anchored to the first poll (poll resolution; events landing over {LAG_HORIZON / 60:g} min late are not "
              "counted)."
              if r.by_environment else
              "Error events of unresolved issues since the exporter started, from the growth of each error issue's "
              "lifetime count, counted once against the highest count seen (poll resolution); performance, cron "
              "and uptime issues are not counted, as in Discover's errors dataset.")
    yield filled(CounterMetricFamily("sentry_issue_events", source, labels=["project", "level", *env]),
                 r.events_total)
    if r.reconciled_at is not None:
        yield gauge("sentry_issues_reconciled_timestamp_seconds",
                    "Start of the latest complete full issue listing. Between full listings, resolutions, archiving, "
                    "merges, assignment and priority changes of issues without new events are not yet seen.",
                    r.reconciled_at)
    if config.queries:
        yield filled(cached("sentry_query_issues", "Issues matching a named query from the config file.",
                            ["query", "project"]), r.query_counts)


def _counts(r: IssuesResult, config: Config) -> Iterator[Metric]:
    note = " With SENTRY_ENVIRONMENTS, an issue seen in several environments counts once in each." \
        if r.by_environment else ""
    yield filled(cached(
        "sentry_issues", f"Unresolved issues with events in the last {config.issues_period} "
        "(SENTRY_ISSUES_PERIOD), as Sentry's own search counts them." + note
        + f" Beyond SENTRY_MAX_ISSUE_SERIES series, the least frequent assignees count as assignee=\"{OTHER}\".",
        ISSUE_LABELS + (["environment"] if r.by_environment else [])), r.counts)
    yield filled(GaugeMetricFamily("sentry_issues_truncated",
                                   "1 when the latest full listing was short: SENTRY_MAX_ISSUES cut it (counts are then low), "
                                   "or Sentry's search ended early (counts keep what it could not see).",
                                   labels=["query"]), {query: float(cut) for query, cut in r.truncated.items()})


def _top(r: IssuesResult) -> Iterator[Metric]:
    for name, help_text in PER_ISSUE_HELP.items():
        family = cached(name, f"{help_text} Only the top SENTRY_TOP_ISSUES issues by events.", ["issue", "project"])
        for issue in r.top:
            add_known(family, [issue.short_id, issue.project], getattr(issue, PER_ISSUE[name]))
        yield family
    yield info("sentry_issue_info", "Descriptive labels of a top issue; always 1.",
               ["issue", "project", "title", "culprit", "level", "substatus", "priority", "assignee", "permalink"],
               ([i.short_id, i.project, i.title, i.culprit, i.level, i.substatus, i.priority, i.assignee, i.permalink]
                for i in r.top))
