"""A contract-faithful fake Sentry: used by the tests, the benchmark and ``sentry-exporter --demo``."""

from .clock import FakeClock
from .demo import DemoDriver, build_demo_org
from .generate import build_org
from .model import Assignee, Issue, Org, Project, Release, WindowStats
from .server import SimulatorServer

__all__ = ["Assignee", "DemoDriver", "FakeClock", "Issue", "Org", "Project", "Release", "SimulatorServer",
           "WindowStats", "build_demo_org", "build_org"]
