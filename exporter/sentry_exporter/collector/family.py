"""Small builders shared by the collector modules."""

from __future__ import annotations

import copy
from typing import Iterable, Mapping, Sequence

from prometheus_client.core import GaugeMetricFamily, Metric

CACHED = " Cached from the latest successful background poll."


def gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=value)


def cached(name: str, help_text: str, labels: Sequence[str]) -> GaugeMetricFamily:
    """A gauge of what the latest successful poll saw; its HELP says the value is cached."""
    return GaugeMetricFamily(name, help_text + CACHED, labels=labels)


def info(name: str, help_text: str, labels: Sequence[str], keys: Iterable[Sequence[str]]) -> GaugeMetricFamily:
    """An info gauge: a sample of 1 for each list of label values in `keys`, in their order."""
    family = GaugeMetricFamily(name, help_text, labels=labels)
    for key in keys:
        family.add_metric(list(key), 1)
    return family


def filled(family: Metric, values: Mapping) -> Metric:
    """`family` with one sample per item of `values` (label values, or a tuple of them -> value), sorted."""
    for key, value in sorted(values.items()):
        family.add_metric(list(key) if isinstance(key, tuple) else [key], value)
    return family


def add_known(family: Metric, key: Sequence[str], value: float | None) -> None:
    """A sample only where Sentry gave the value: an absent series, not a made-up 0."""
    if value is not None:
        family.add_metric(list(key), value)


def add_state_set(family: Metric, key: Sequence[str], states: Iterable[str], current: str) -> None:
    """A state set: one sample per state, 1 for `current` and 0 for the others."""
    for state in states:
        family.add_metric([*key, state], float(state == current))


def labelled(family: Metric, labels: Mapping[str, str]) -> Metric:
    """`family` with `labels` on every sample; a label the family has of its own keeps its value.
    Exemplars stay as they are: their labels are the trace's, not the series'."""
    copied = copy.copy(family)
    copied.samples = [s._replace(labels={**labels, **s.labels}) for s in family.samples]
    return copied
