"""The releases poll: the newest releases of each project and their session health."""

from __future__ import annotations

from typing import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from ..config import Config
from ..snapshot import Snapshot
from .family import add_known, cached, info

LABELS = ["project", "release", "environment"]


def families(snapshot: Snapshot, config: Config) -> Iterator[Metric]:
    r = snapshot.results.releases
    if r is None:
        return
    newest = ([project, version, "true" if position == 0 else "false"]
              for project, versions in sorted(r.latest.items()) for position, version in enumerate(versions))
    yield info("sentry_release_info", "The newest releases of each project; latest=\"true\" marks the newest. "
               "Always 1.", ["project", "release", "latest"], newest)
    sessions = cached("sentry_release_sessions", "Sessions of a release in the last 24h.", LABELS)
    crash_free_sessions = cached("sentry_release_crash_free_sessions_ratio",
                                 "Share of a release's sessions in the last 24h that did not crash (0-1).", LABELS)
    crash_free_users = cached("sentry_release_crash_free_users_ratio",
                              "Share of a release's users in the last 24h who saw no crash (0-1).", LABELS)
    for h in r.health:
        key = [h.project, h.release, h.environment]
        sessions.add_metric(key, h.sessions)
        add_known(crash_free_sessions, key, h.crash_free_sessions)
        add_known(crash_free_users, key, h.crash_free_users)
    yield from (sessions, crash_free_sessions, crash_free_users)
    created = GaugeMetricFamily("sentry_release_created_timestamp_seconds", "When each of the newest releases was "
                                "created in Sentry.", labels=["project", "release"])
    deployed = cached("sentry_release_deploy_timestamp_seconds", "When the release's newest deploy to the "
                      "environment finished (Sentry's deploys).", LABELS)
    for project, versions in sorted(r.latest.items()):
        for version in versions:
            if version in r.created:
                created.add_metric([project, version], r.created[version])
    for (version, environment), finished in sorted(r.deployed.items()):
        for project, versions in sorted(r.latest.items()):
            if version in versions:
                deployed.add_metric([project, version, environment], finished)
    yield from (created, deployed)
