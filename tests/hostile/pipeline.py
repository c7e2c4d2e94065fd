"""The exporter's poll pipeline in-process: a real SentryClient, every poller, the collector, the exposition.

The real app.Exporter, given a client with a fast pacer and no retry sleeps, so hundreds of hostile
responses run in seconds. Nothing of ours is replaced: only timing knobs the client exposes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from sentry_exporter.app import Exporter
from sentry_exporter.config import Config
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.errors import SentryError

TOKEN = "sntrys_pipeline_token_77aa"


@dataclass
class Outcome:
    errors: dict[str, SentryError]      # poller -> the SentryError it raised
    exposition: bytes
    malformed: dict[str, int]


class Pipeline:
    def __init__(self, url: str, **settings):
        # The hostile servers answer the issues, stats, releases and impact endpoints; the Crons and uptime
        # pollers meet bad answers in tests/unit/test_monitors.py.
        # Sentry's answers, hostile: told so (SENTRY_FLAVOR), as the kind's probe is not what they test.
        settings = {"monitors_interval": 0, "uptime_interval": 0, "uptime_results_interval": 0, "flavor": "sentry",
                    **settings}
        config = Config(sentry_url=url, org="acme", token=TOKEN, impact_tags=("workspace_id", "tenant_id"),
                        label_tags=("release_stage",), max_issues=200,
                        projects_refresh=0, **settings)  # refresh every poll: projects are fuzzed too
        self.client = SentryClient(url, TOKEN, requests_per_second=1000, timeout=2, max_attempts=2,
                                   sleep=lambda seconds: None)
        self.exporter = Exporter(config, client=self.client)

    def run(self) -> Outcome:
        """Poll every poller once. Anything but a SentryError propagates: that is a crash."""
        errors = {}
        for job in self.exporter.jobs:
            poller = job.poller
            try:
                result = poller.poll()
            except SentryError as e:
                errors[poller.name] = e
                self.exporter.store.record(poller.name, False, 0.0, 0.0)
            else:
                self.exporter.store.record(poller.name, True, 0.0, 1.0, result)
        return Outcome(errors, self.exporter.exposition(), self.client.stats.copy()[1])

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
