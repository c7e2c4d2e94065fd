"""The fast layer on other days (issue 23): a test that holds only near the date it was written, or that
mixes two clocks, fails here on the day it is written, not weeks later in everyone's CI run.

faketime (Debian's libfaketime) shifts the wall clock of tests/unit and the hostile paths that broke on
2026-12-04: 400 days on, and a leap day's last seconds, so the run crosses into March. Only our Python
runs here; Go binaries such as Prometheus ignore faketime."""

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


@pytest.mark.parametrize("spec", MOMENTS)
def test_the_fast_layer_passes_on_another_day(spec):
    if "FAKETIME" in os.environ:
        pytest.skip("this run is already under faketime: a second shift would not start where it says")
    faketime = require_tool("faketime")
    env = {**inherited_env(), "TZ": "UTC"}  # the @ spec is read in the local time zone
    shown = subprocess.run([faketime, "-f", spec, sys.executable, "-c", "import time; print(time.time())"],
                           env=env, capture_output=True, text=True, timeout=30, check=True).stdout
    assert abs(float(shown) - MOMENTS[spec]()) < 60, f"faketime did not move the clock: {shown}"
    run = subprocess.run([faketime, "-f", spec, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-x", *LAYERS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"under faketime -f '{spec}':\n{run.stdout[-6000:]}{run.stderr[-2000:]}"
