"""The fast layer on other days (issue 23): a test that holds only near the date it was written, or that
mixes two clocks, fails here on the day it is written, not weeks later in everyone's CI run.

faketime (Debian's libfaketime) shifts the wall clock of tests/unit and of the hostile paths that broke
when their fixed date left the 14-day window: 400 days on, and a leap day's last seconds, so the run
crosses into March. Only our Python runs here; Go binaries such as Prometheus ignore faketime."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tools import ROOT, inherited_env, require_tool

LAYERS = ["tests/unit", "tests/hostile/test_malformed_paths.py"]
MOMENTS = {  # faketime -f spec -> the wall clock a run under it starts near (seconds since the epoch)
    "+400d": lambda: time.time() + 400 * 86400,
    "@2028-02-29 23:59:30": lambda: 1835481570.0,  # fixed-date: faketime's own spec, a UTC moment
}


# Under faketime, a process starts a child later (as a test starts the exporter after the simulator); the
# child sleeps and waits with a timeout (as APScheduler does), then says the time. Same clock: >= 0.4 s later.
PARENT = """
import subprocess, sys, time
sys.path.insert(0, "tests")
from tools import child_env
time.sleep(1)
child = "import threading, time; time.sleep(0.2); threading.Event().wait(0.2); print(time.time())"
before = time.time()
print(float(subprocess.run([sys.executable, "-c", child], env=child_env(), capture_output=True, text=True,
                           timeout=20, check=True).stdout) - before)
"""


def shifted(spec: str) -> tuple[str, dict[str, str]]:
    if "FAKETIME" in os.environ:
        pytest.skip("this run is already under faketime: a second shift would not start where it says")
    return require_tool("faketime"), {**inherited_env(), "TZ": "UTC"}  # the @ spec is read in local time


@pytest.mark.parametrize("spec", MOMENTS)
def test_a_child_process_runs_on_the_shifted_clock_and_can_wait(spec):
    faketime, env = shifted(spec)
    run = subprocess.run([faketime, "-f", spec, sys.executable, "-c", PARENT], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert 0.4 <= float(run.stdout) < 20, "the child's wall clock is not its parent's"


@pytest.mark.parametrize("spec", MOMENTS)
def test_the_fast_layer_passes_on_another_day(spec):
    faketime, env = shifted(spec)
    shown = subprocess.run([faketime, "-f", spec, sys.executable, "-c", "import time; print(time.time())"],
                           env=env, capture_output=True, text=True, timeout=30, check=True).stdout
    assert abs(float(shown) - MOMENTS[spec]()) < 60, f"faketime did not move the clock: {shown}"
    run = subprocess.run([faketime, "-f", spec, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-x", *LAYERS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"under faketime -f '{spec}':\n{run.stdout[-6000:]}{run.stderr[-2000:]}"
