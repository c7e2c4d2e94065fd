"""Helpers of the fast layer's tests: a module of its own, since `from conftest import` finds whichever
directory's conftest was imported first when several test directories run together."""

from __future__ import annotations

from sentry_exporter.app import Exporter


def run(exporter: Exporter, poller: str) -> None:
    """One run of the named poller, through the exporter's own run_poller; it must succeed."""
    job = next(job for job in exporter.jobs if job.poller.name == poller)
    assert exporter.run_poller(job.poller), f"the {poller} poll failed"


def sample(exporter: Exporter, name: str, **labels: str) -> float | None:
    """The value of one series; its `org` label (on every series) is the exporter's SENTRY_ORG."""
    return exporter.registry.get_sample_value(name, {"org": exporter.config.org, **labels})
