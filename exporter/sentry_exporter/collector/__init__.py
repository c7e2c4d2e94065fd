"""Turns the current snapshot into metric families. Runs on every scrape: it never calls Sentry.

One module per part of the snapshot, each a `families(snapshot, config)` that only maps data that
the pollers already capped (see cardinality.py) to metric families. OrgRegistry adds the `org` label
to all of them.
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry

from ..config import Config
from ..sentry.client import ApiStats
from ..sentry.flavor import ServerKind
from ..snapshot import SnapshotStore
from . import api, exporter, guard, impact, issues, monitors, releases, stats, uptime, uptime_results
from .family import labelled

PARTS = (exporter, issues, stats, impact, releases, monitors, uptime, uptime_results)  # in exposition order


class SentryCollector(Collector):
    def __init__(self, store: SnapshotStore, api_stats: ApiStats, pacer_windows: Callable[[], Mapping],
                 config: Config, kind: ServerKind | None = None):
        self._store, self._api, self._windows, self._config = store, api_stats, pacer_windows, config
        self._kind = kind

    def describe(self) -> list[Metric]:
        return []  # registering must not trigger a collect()

    def collect(self) -> Iterator[Metric]:
        snapshot = self._store.current()  # one reference: every family of a scrape sees the same polls
        for part in PARTS:
            yield from part.families(snapshot, self._config)
        yield from api.families(self._api, self._windows)
        if self._kind is not None:
            yield from exporter.server_info(self._kind)
        yield guard.family(snapshot.results)


class OrgRegistry(CollectorRegistry):
    """The exporter's registry: every sample it serves, its own and the telemetry's, carries
    org="<SENTRY_ORG>", so that several orgs (or several exporters of one org, as shards) share one
    Prometheus the way clusters do in kubernetes-mixin. Labelled here, once, not in each module."""

    def __init__(self, org: str):
        super().__init__(auto_describe=False)
        self._org = {"org": org}

    def collect(self) -> Iterator[Metric]:
        for family in super().collect():
            yield labelled(family, self._org)
