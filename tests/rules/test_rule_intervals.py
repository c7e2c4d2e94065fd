"""The [1d]/[3d] rules over stats_v2 data run every 3m, not at every 15 s evaluation, and the alerts
reading them still see a sample at every evaluation and keep their `for:`.

promtool (2.42) evaluates every group at the test file's evaluation_interval and ignores a group's
`interval:`, so the promtool cases check these alerts' logic; the cadence is checked here."""
from __future__ import annotations

import re

import yaml

from rules_support import RULE_FILES

SLOW = 180          # seconds: kubernetes-mixin's interval for its 30-day SLO group
LOOKBACK = 300      # Prometheus' default query.lookback-delta: a sample older than this is not seen
LONG_STATS_RANGE = re.compile(r"sentry_events_total\{[^}]*\}\[(1d|3d)\]|sentry_events_total\[(1d|3d)\]")


def seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhd])", duration))


def groups() -> list[dict]:
    return [group for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]]


def test_groups_with_day_long_stats_rates_run_every_3m_and_no_other_group_is_slowed():
    for group in groups():
        heavy = any(LONG_STATS_RANGE.search(rule["expr"]) for rule in group["rules"])
        interval = seconds(group["interval"]) if "interval" in group else None
        assert interval == (SLOW if heavy else None), f"{group['name']}: interval {group.get('interval')}"
    assert {g["name"] for g in groups() if "interval" in g} == {"sentry-error-budget", "sentry-quota-recording"}


def test_alerts_reading_slow_series_find_a_sample_every_evaluation_and_outlast_one_interval():
    slow = {rule["record"]: seconds(group["interval"]) for group in groups() if "interval" in group
            for rule in group["rules"] if "record" in rule}
    readers = 0
    for group in groups():
        for rule in group["rules"]:
            read = [slow[name] for name in slow if re.search(rf"\b{re.escape(name)}\b", rule["expr"])]
            if not read or "alert" not in rule:
                continue
            readers += 1
            assert max(read) < LOOKBACK, rule["alert"]
            assert seconds(rule.get("for", "0s")) >= max(read), f"{rule['alert']}: for shorter than {max(read)} s"
    assert readers >= 3  # the error-budget burns and both quota alerts
