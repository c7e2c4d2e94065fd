"""Release health answers every (project, release, environment) (CONTRACT §0.8): sessions keeps only its
top groups within 10,000 data points a page, and long release lists go out in bounded batches."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from inprocess import run
from sentry_simulator import Org

HOUR = 3600.0
ENVIRONMENTS = tuple(f"env-{n}" for n in range(5))


def health(e) -> dict[tuple[str, str, str], float]:
    return {(s.labels["project"], s.labels["release"], s.labels["environment"]): s.value
            for family in e.registry.collect() if family.name == "sentry_release_sessions" for s in family.samples}


def seed(org: Org, clock, projects: int, releases: int, version) -> dict[tuple[str, str, str], float]:
    """Every release of every project has sessions in every environment; returns the 24h session counts."""
    truth = {}
    for p in range(projects):
        project = org.add_project(f"app-{p}")
        for r in range(releases):
            v = version(p, r)
            org.create_release(v, [project], created=clock() - (releases - r) * HOUR)
            for n, env in enumerate(ENVIRONMENTS):
                org.record_sessions(project.id, v, env, clock() - 2 * HOUR, healthy=10 + n + r, crashed=1, users=5)
                truth[(project.slug, v, env)] = 11.0 + n + r
    return truth


@pytest.fixture
def org(clock):
    return Org(slug="acme", created=1_700_000_000.0, environments=ENVIRONMENTS)


def test_more_groups_than_one_sessions_page_holds_are_all_answered(exporter, org, clock):
    # 5 projects x 20 releases x 5 environments = 500 groups; a page holds 400 at most (10,000 points / 25 hours).
    truth = seed(org, clock, 5, 20, lambda p, r: f"app-{p}@1.{r}.0")
    e = exporter(releases_per_project=20)
    run(e, "releases")
    assert health(e) == truth


def test_long_release_lists_go_out_in_bounded_batches(exporter, org, clock):
    truth = seed(org, clock, 5, 20, lambda p, r: f"com.example.app-{p}@{r}.0.0+build.{'0' * 120}{r}")
    e = exporter(releases_per_project=20)
    run(e, "releases")
    assert health(e) == truth
    lines = [len(urlencode({"query": r.params["query"][0]})) for r in exporter.servers[-1].request_log
             if r.endpoint == "sessions"]
    assert len(lines) > 1 and max(lines) < 8000  # nginx's default request line limit is 8 kB
