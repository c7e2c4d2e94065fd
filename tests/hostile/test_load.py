"""A short run of bench/load.py: 50 concurrent scrapers for 5 s while polls run, no failed scrape."""

import json
import subprocess
import sys

from tools import ROOT, inherited_env


def test_fifty_scrapers_never_fail():
    proc = subprocess.run([sys.executable, str(ROOT / "bench/load.py"), "--scrapers", "50", "--seconds", "5",
                           "--issues", "2000", "--poll-interval", "2", "--json"],
                          capture_output=True, text=True, timeout=120, env=inherited_env())
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(result)  # the figures, for the record (pytest -s)
    assert result["failures"] == 0, result["first_failure"]
    assert proc.returncode == 0
    assert result["scrapes"] >= 250, "at least one scrape per scraper per second"
    assert result["api_calls_during_load"] > 0, "the polls must have run during the load"
    assert result["p99_ms"] < 2000, result
