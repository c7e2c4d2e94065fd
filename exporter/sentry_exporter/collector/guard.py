"""sentry_series_dropped: what the cardinality guard left out, as the pollers counted it."""

from __future__ import annotations

from collections import Counter

from prometheus_client.core import GaugeMetricFamily

from ..cardinality import GUARDED, OTHER
from ..snapshot import Results
from .family import filled


def family(results: Results) -> GaugeMetricFamily:
    dropped: Counter[str] = Counter({name: 0 for name in GUARDED})
    for result in (results.issues, results.impact):
        if result is not None:
            dropped.update(result.dropped)
    return filled(GaugeMetricFamily(
        "sentry_series_dropped", "Series left out of this exposition by the cardinality guard "
        "(SENTRY_MAX_ISSUE_SERIES per metric); for sentry_issues, series folded into "
        f"assignee=\"{OTHER}\" (its sums stay exact).", labels=["metric"]), dropped)
