"""The exporter's poll pipeline in-process: a real SentryClient, every poller, the collector, the exposition.

Wired as app.Exporter wires it, but with a fast pacer and no retry sleeps, so hundreds of hostile
responses run in seconds. Nothing of ours is replaced: only timing knobs the client exposes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from sentry_exporter.collector import SentryCollector
from sentry_exporter.config import Config
from sentry_exporter.pollers.impact import ImpactPoller
from sentry_exporter.pollers.issues import IssuesPoller
from sentry_exporter.directory import ProjectDirectory
from sentry_exporter.pollers.releases import ReleasesPoller
from sentry_exporter.pollers.stats import StatsPoller
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.errors import SentryError
from sentry_exporter.snapshot import SnapshotStore

TOKEN = "sntrys_pipeline_token_77aa"


@dataclass
class Outcome:
    errors: dict[str, SentryError]      # poller -> the SentryError it raised
    exposition: bytes
    malformed: dict[str, int]


class Pipeline:
    def __init__(self, url: str, **settings):
        self.config = Config(sentry_url=url, org="acme", token=TOKEN, impact_tags=("workspace_id", "tenant_id"),
                             label_tags=("release_stage",), max_issues=200, **settings)
        self.client = SentryClient(url, TOKEN, requests_per_second=1000, timeout=2, max_attempts=2,
                                   sleep=lambda seconds: None)
        directory = ProjectDirectory(self.client, "acme", (), 0)  # refresh every poll: projects are fuzzed too
        self.pollers = [
            IssuesPoller(self.client, self.config, directory),
            StatsPoller(self.client, "acme", directory, 1, False),
            ReleasesPoller(self.client, "acme", directory, 3, False),
            ImpactPoller(self.client, "acme", self.config.impact_tags, self.config.label_tags, 50, lambda: ["-1"],
                         self.config.max_issue_series),
        ]
        self.store = SnapshotStore(tuple(p.name for p in self.pollers))
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(SentryCollector(self.store, self.client.stats, self.client.pacer.windows, self.config))

    def run(self) -> Outcome:
        """Poll every poller once. Anything but a SentryError propagates: that is a crash."""
        errors = {}
        for poller in self.pollers:
            try:
                result = poller.poll()
            except SentryError as e:
                errors[poller.name] = e
                self.store.record(poller.name, False, 0.0, 0.0)
            else:
                self.store.record(poller.name, True, 0.0, 1.0, result)
        return Outcome(errors, generate_latest(self.registry), self.client.stats.copy()[1])

    def close(self) -> None:
        self.client.close()


MAX_LABEL_LENGTH = 300


def check_exposition(text: bytes) -> list:
    """Parse the exposition as Prometheus would; fail on duplicates or oversized label values."""
    decoded = text.decode("utf-8")  # strict: invalid UTF-8 is an invalid exposition
    samples = [s for family in text_string_to_metric_families(decoded) for s in family.samples]
    keys = Counter((s.name, tuple(sorted(s.labels.items()))) for s in samples)
    duplicates = [k for k, n in keys.items() if n > 1]
    assert not duplicates, f"duplicate series: {duplicates[:3]}"
    for s in samples:
        for name, value in s.labels.items():
            assert len(value) <= MAX_LABEL_LENGTH, f"{s.name}{{{name}}} is {len(value)} characters long"
    return samples
