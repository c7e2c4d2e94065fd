"""The releases poll: the newest releases of each project and their session health."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from ..config import Config
from ..snapshot import Snapshot
from .family import CACHED

LABELS = ["project", "release", "environment"]


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.releases
    if r is None:
        return
    info = GaugeMetricFamily("sentry_release_info", "The newest releases of each project; latest=\"true\" marks "
                             "the newest. Always 1.", labels=["project", "release", "latest"])
    for project, versions in sorted(r.latest.items()):
        for position, version in enumerate(versions):
            info.add_metric([project, version, "true" if position == 0 else "false"], 1)
    yield info
    sessions = GaugeMetricFamily("sentry_release_sessions", "Sessions of a release in the last 24h." + CACHED,
                                 labels=LABELS)
    crash_free_sessions = GaugeMetricFamily(
        "sentry_release_crash_free_sessions_ratio",
        "Share of a release's sessions in the last 24h that did not crash (0-1)." + CACHED, labels=LABELS)
    crash_free_users = GaugeMetricFamily(
        "sentry_release_crash_free_users_ratio",
        "Share of a release's users in the last 24h who saw no crash (0-1)." + CACHED, labels=LABELS)
    for h in r.health:
        key = [h.project, h.release, h.environment]
        sessions.add_metric(key, h.sessions)
        if h.crash_free_sessions is not None:
            crash_free_sessions.add_metric(key, h.crash_free_sessions)
        if h.crash_free_users is not None:
            crash_free_users.add_metric(key, h.crash_free_users)
    yield from (sessions, crash_free_sessions, crash_free_users)
    created = GaugeMetricFamily("sentry_release_created_timestamp_seconds", "When each of the newest releases was "
                                "created in Sentry.", labels=["project", "release"])
    deployed = GaugeMetricFamily("sentry_release_deploy_timestamp_seconds", "When the release's newest deploy to the "
                                 "environment finished (Sentry's deploys)." + CACHED,
                                 labels=["project", "release", "environment"])
    for project, versions in sorted(r.latest.items()):
        for version in versions:
            if version in r.created:
                created.add_metric([project, version], r.created[version])
    for (version, environment), finished in sorted(r.deployed.items()):
        for project, versions in sorted(r.latest.items()):
            if version in versions:
                deployed.add_metric([project, version, environment], finished)
    yield from (created, deployed)
