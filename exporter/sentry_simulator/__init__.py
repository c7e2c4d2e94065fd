"""A contract-faithful fake Sentry: used by the tests, the benchmark and ``sentry-exporter --demo``.

    org = build_org(slug="acme", projects=5, unresolved=1000, seed=1, now=None)   # deterministic
    issue = org.create_issue("api-backend", level="error", priority="high")
    org.record_events(issue.id, 5, at=ts, environment="production", users=2, tags={"workspace_id": "w1"})
    with SimulatorServer(org, token="sntryu_test", rate_limit_per_second=None) as server:
        server.url            # http://127.0.0.1:PORT; the API lives under /api/0/
        server.faults.set(status=500, count=2)          # or snuba_throttle=429, slow_seconds=…
        server.behaviour.listing_cut = 150              # switches for real-Sentry behaviours (switches.py)
        server.request_log    # RequestRecord(method, path, endpoint, params, status, time, fault)
    org.truth_unresolved(14 * 86400, now)   # what the exporter should report, computed from the model

    SimulatorServer(org, flavor="glitchtip")          # answers as GlitchTip (glitchtip/), not Sentry

Standalone: ``python -m sentry_simulator --port 8000 [--issues N] [--rate-limit N] [--demo] [--old-self-hosted]
[--flavor glitchtip]``.
"""

from .clock import FakeClock
from .demo import DemoDriver, build_demo_org
from .generate import build_org
from .model import Assignee, Issue, Org, Project, Release, WindowStats
from .server import SimulatorServer
from .switches import Behaviour

__all__ = ["Assignee", "Behaviour", "DemoDriver", "FakeClock", "Issue", "Org", "Project", "Release",
           "SimulatorServer", "WindowStats", "build_demo_org", "build_org"]
