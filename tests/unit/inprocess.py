"""Helpers of the fast layer's tests: a module of its own, since `from conftest import` finds whichever
directory's conftest was imported first when several test directories run together."""

from __future__ import annotations

import pytest

from sentry_exporter.app import Exporter
from sentry_simulator import Org

# The exporter test layer runs against both server kinds wherever the behaviour applies: a test marked
# so gets the `flavor` fixture (tests/unit/conftest.py) as each, simulator and SENTRY_FLAVOR alike.
BOTH_FLAVORS = pytest.mark.parametrize("flavor", ["sentry", "glitchtip"])
# Issues by id: Sentry's group= (organization_group_index.py), GlitchTip's id= (IssueFilters.id__in).
LOOKUP = {"sentry": "group", "glitchtip": "id"}


def run(exporter: Exporter, poller: str) -> None:
    """One run of the named poller, through the exporter's own run_poller; it must succeed."""
    job = next(job for job in exporter.jobs if job.poller.name == poller)
    assert exporter.run_poller(job.poller), f"the {poller} poll failed"


def sample(exporter: Exporter, name: str, **labels: str) -> float | None:
    """The value of one series; its `org` label (on every series) is the exporter's SENTRY_ORG."""
    return exporter.registry.get_sample_value(name, {"org": exporter.config.org, **labels})


# Every monitoring poller on a one-minute interval.
MONITORING_EVERY_MINUTE = {"monitors_interval": 60.0, "uptime_interval": 60.0, "uptime_results_interval": 60.0}


def two_team_org() -> Org:
    """api (team-a) and web (team-b), read with the token of a user in team-a only: a request without
    `project` would see api alone (CONTRACT §0.15)."""
    org = Org(slug="acme", created=1_700_000_000.0)
    org.add_project("api", project_id="1", teams=("team-a",))
    org.add_project("web", project_id="2", teams=("team-b",))
    org.set_member_teams({"team-a"})
    return org
