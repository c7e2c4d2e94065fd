"""Small builders shared by the collector modules."""

from __future__ import annotations

from typing import Mapping

from prometheus_client.core import GaugeMetricFamily, Metric

CACHED = " Cached from the latest successful background poll."


def gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


def filled(family: Metric, values: Mapping) -> Metric:
    """`family` with one sample per item of `values` (label values, or a tuple of them -> value), sorted."""
    for key, value in sorted(values.items()):
        family.add_metric(list(key) if isinstance(key, tuple) else [key], value)
    return family
