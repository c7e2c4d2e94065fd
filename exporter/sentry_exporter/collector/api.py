"""The client's own counters: requests by status, malformed responses, Sentry's rate-limit headers."""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ..sentry.client import ApiStats
from .family import filled


def families(api: ApiStats, windows: Callable[[], Mapping]) -> Iterator[Metric]:
    requests, malformed = api.copy()
    yield filled(CounterMetricFamily("sentry_api_requests", "Requests sent to the Sentry API, by HTTP status "
                                     "('error' when no response came).", labels=["endpoint", "code"]), requests)
    yield filled(CounterMetricFamily("sentry_api_malformed_responses", "Responses or items that did not parse as "
                                     "the API contract promises and were skipped.", labels=["endpoint"]), malformed)
    # Sentry counts several endpoints in one bucket (sentry/buckets.py); self-hosted sends no headers, so none.
    remaining = GaugeMetricFamily("sentry_api_rate_limit_remaining",
                                  "Requests left in the current window of Sentry's rate-limit bucket, from its "
                                  "headers. Endpoints without a limit of their own share bucket=\"default\".",
                                  labels=["bucket"])
    limit = GaugeMetricFamily("sentry_api_rate_limit_limit", "Sentry's rate limit per window of the bucket, "
                              "from its headers.", labels=["bucket"])
    for bucket, window in sorted(windows().items()):
        if window.limit is not None:
            limit.add_metric([bucket], window.limit)
        if window.remaining is not None:
            remaining.add_metric([bucket], window.remaining)
    yield from (remaining, limit)
