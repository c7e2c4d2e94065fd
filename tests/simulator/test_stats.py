"""stats_v2 (CONTRACT §4d) and the older project stats endpoint, checked against the model."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from simapi import NOW, TOKEN, Api

from sentry_simulator import FakeClock, Org, SimulatorServer

STATS = "organizations/acme/stats_v2/"
HOUR = 3600


def _ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_totals_by_project_category_outcome_match_the_model(api, org):
    body = api.json(STATS, {"field": "sum(quantity)", "groupBy": ["outcome", "category"], "project": "-1",
                            "statsPeriod": "24h"})
    start, end = _ts(body["start"]), _ts(body["end"])
    assert start == (NOW - 86400) // HOUR * HOUR and end == -(-NOW // HOUR) * HOUR  # rounded to the interval
    expected = Counter()
    for (_slug, category, outcome), quantity in org.truth_outcomes(start, end).items():
        expected[(category, outcome)] += quantity
    got = Counter({(g["by"]["category"], g["by"]["outcome"]): g["totals"]["sum(quantity)"] for g in body["groups"]})
    assert +got == expected and expected[("error", "accepted")] > 0
    for group in body["groups"]:
        series = group["series"]["sum(quantity)"]
        assert len(series) == len(body["intervals"]) and sum(series) == group["totals"]["sum(quantity)"]


def test_group_by_project_has_totals_only_and_integer_ids(api, org):
    body = api.json(STATS, {"field": "sum(quantity)", "groupBy": ["project", "outcome"], "category": "error",
                            "statsPeriod": "48h"})
    assert "intervals" not in body
    assert body["groups"] and all(set(g) == {"by", "totals"} for g in body["groups"])
    start, end = _ts(body["start"]), _ts(body["end"])
    truth = org.truth_outcomes(start, end)
    for group in body["groups"]:
        assert isinstance(group["by"]["project"], int)
        slug = org.project(group["by"]["project"]).slug
        assert group["totals"]["sum(quantity)"] == truth[(slug, "error", group["by"]["outcome"])]


def test_category_error_includes_default_and_security():
    org = Org(slug="acme")
    project = org.add_project("api")
    for category, quantity in (("error", 5), ("default", 3), ("security", 2), ("transaction", 100)):
        org.record_outcome(project.id, category, "accepted", quantity, at=NOW - 600)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv:
        api = Api(srv)
        body = api.json(STATS, {"field": "sum(quantity)", "groupBy": "outcome", "category": "error",
                                "statsPeriod": "1h"})
        assert [g["totals"] for g in body["groups"]] == [{"sum(quantity)": 10}]
        grouped = api.json(STATS, {"field": ["sum(quantity)", "sum(times_seen)"], "groupBy": "category",
                                   "statsPeriod": "1h"})
        totals = {g["by"]["category"]: g["totals"] for g in grouped["groups"]}
        assert totals == {"error": {"sum(quantity)": 10, "sum(times_seen)": 3},
                          "transaction": {"sum(quantity)": 100, "sum(times_seen)": 1}}


def test_window_edges_are_exact_with_start_end_and_interval():
    org = Org(slug="acme")
    project = org.add_project("api")
    base = 1_790_000_000 // 86400 * 86400
    for hour in range(6):
        org.record_outcome(project.id, "error", "rate_limited", 10 + hour, at=base + hour * HOUR + 30, reason="quota")
    with SimulatorServer(org, clock=FakeClock(base + 6 * HOUR), token=TOKEN) as srv:
        body = Api(srv).json(STATS, {"field": "sum(quantity)", "groupBy": ["outcome", "reason"], "category": "error",
                                     "start": _iso(base + HOUR + 1),
                                     "end": _iso(base + 4 * HOUR), "interval": "1h"})
    (group,) = body["groups"]
    assert group["by"] == {"outcome": "rate_limited", "reason": "quota"}
    assert body["intervals"] == [_iso(base + h * HOUR) for h in (1, 2, 3)]
    assert group["series"]["sum(quantity)"] == [11, 12, 13]


def _iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
