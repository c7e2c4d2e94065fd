"""stats_v2's limits (CONTRACT §0.9): sentry_events_total stays exact under the 10,000-row cap, with
byte-valued categories, and against an older Sentry that reads an explicit `end` as inclusive."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from inprocess import BOTH_FLAVORS, run
from sentry_simulator import Behaviour, Org
from sentry_simulator.model import CATEGORIES, OUTCOMES, api_category

HOUR = 3600.0
NOT_EVENTS = {"attachment", "log_byte", "profile_duration", "profile_duration_ui"}  # bytes and milliseconds


def events_total(e) -> dict[tuple[str, str, str], float]:
    return {(s.labels["project"], s.labels["category"], s.labels["outcome"]): s.value
            for family in e.registry.collect() if family.name == "sentry_events"
            for s in family.samples if s.name == "sentry_events_total"}


def counted(org: Org, start: float, end: float) -> dict[tuple[str, str, str], float]:
    return {key: float(n) for key, n in org.truth_outcomes(start, end).items() if key[1] not in NOT_EVENTS}


def period_start(now: float) -> float:
    t = datetime.fromtimestamp(now, timezone.utc)
    return datetime(t.year, t.month, 1, tzinfo=timezone.utc).timestamp()


@pytest.fixture
def org(clock):
    return Org(slug="acme", created=1_700_000_000.0)


def test_more_than_10000_rows_are_all_counted(exporter, org, clock):
    # 110 projects x 14 categories x 7 outcomes = 10,780 rows: more than one answer holds.
    for n in range(110):
        project = org.add_project(f"p{n:03d}")
        for category in CATEGORIES:
            for outcome in OUTCOMES:
                org.record_outcome(project.id, category, outcome, 1 + n % 5, at=clock() - 2 * HOUR)
    assert len({(p, api_category(c), o) for p in range(110) for c in CATEGORIES for o in OUTCOMES}) > 10_000
    e = exporter()
    run(e, "stats")
    truth = counted(org, period_start(clock()), clock() + HOUR)
    assert events_total(e) == truth
    calls = e.client.stats.copy()[0][("stats_v2", "200")]
    clock.advance(60)
    run(e, "stats")  # the split is kept: no answer fills the cap again
    assert events_total(e) == truth
    assert e.client.stats.copy()[0][("stats_v2", "200")] - calls == 2


def test_byte_valued_categories_are_not_events(exporter, org, clock):
    api = org.add_project("api", project_id="1")
    for category, quantity in (("error", 3), ("log_item", 4), ("log_byte", 90_000), ("attachment", 5_000)):
        org.record_outcome(api.id, category, "accepted", quantity, at=clock() - HOUR)
    e = exporter()
    run(e, "stats")
    assert events_total(e) == {("api", "error", "accepted"): 3, ("api", "log_item", "accepted"): 4}


@BOTH_FLAVORS  # GlitchTip's end always takes in one more hour (apps/stats/api.py)
def test_an_inclusive_end_counts_no_hour_twice(exporter, org, clock):
    api = org.add_project("api", project_id="1")
    noon = clock()
    for hours_ago in range(1, 10):  # one outcome in each hour, the hour at the frozen boundary too
        org.record_outcome(api.id, "error", "accepted", hours_ago, at=noon - hours_ago * HOUR + 60)
    e = exporter(behaviour=Behaviour(stats_inclusive_end=True))
    clock.set(noon + 120)
    run(e, "stats")
    clock.advance(HOUR)
    run(e, "stats")  # an hour leaves the open window and is frozen
    assert events_total(e) == counted(org, period_start(clock()), clock() + HOUR) == {
        ("api", "error", "accepted"): sum(range(1, 10))}
