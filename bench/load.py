#!/usr/bin/env python3
"""Scrape load: many concurrent scrapers hit /metrics while the exporter's polls run.

Starts the simulator (a mid-size org) and a real `sentry-exporter` in their own processes, waits for
the first full poll, then runs N scrapers in a closed loop (each starts its next scrape when the last
one ends) for the given time, with polls every few seconds underneath. Prints p50/p99/max latency,
throughput and failed scrapes (any error, non-200, or a body without sentry_up).

    .venv/bin/python bench/load.py                        # 50 scrapers for 60 s, 5,000 issues
    .venv/bin/python bench/load.py --scrapers 50 --seconds 5 --json
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass

import requests

from processes import p99, simulator_and_exporter, wait

TOKEN = "sntryu_load_bench"


@dataclass
class Result:
    scrapers: int
    seconds: float
    issues: int
    scrapes: int
    failures: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    per_second: float
    api_calls_during_load: int
    first_failure: str


def scrape_loop(url: str, until: float, latencies: list[float], failures: list[str]) -> None:
    session = requests.Session()
    while time.monotonic() < until:
        t0 = time.perf_counter()
        try:
            resp = session.get(url, timeout=10)
            ok = resp.status_code == 200 and b"sentry_up" in resp.content
            if not ok:
                failures.append(f"HTTP {resp.status_code}")
        except requests.RequestException as e:
            failures.append(f"{type(e).__name__}: {e}")
            continue
        latencies.append((time.perf_counter() - t0) * 1000)


def api_calls(url: str) -> int:
    """Sentry API calls the exporter has made so far: their growth proves polls ran under the load."""
    text = requests.get(url, timeout=10).text
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
               if line.startswith("sentry_api_requests_total{"))


def run(scrapers: int, seconds: float, issues: int, poll_interval: float) -> Result:
    env = {"SENTRY_POLL_INTERVAL_SECONDS": str(poll_interval), "SENTRY_STATS_INTERVAL_SECONDS": str(poll_interval),
           "SENTRY_RELEASES_INTERVAL_SECONDS": str(poll_interval), "SENTRY_MAX_REQUESTS_PER_SECOND": "50"}
    with simulator_and_exporter(["--issues", str(issues), "--projects", "10"], env, TOKEN) as (base, exporter, _):
        url = f"{base}/metrics"
        wait(lambda: requests.get(f"{base}/readyz", timeout=2).ok, 120, "the first poll")
        calls_before = api_calls(url)
        latencies: list[float] = []
        failures: list[str] = []
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=scrape_loop, args=(url, until, latencies, failures))
                   for _ in range(scrapers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if exporter.poll() is not None:
            failures.append(f"exporter exited with {exporter.returncode}")
        return Result(scrapers, seconds, issues, len(latencies), len(failures),
                      statistics.median(latencies or [math.nan]), p99(latencies), max(latencies or [math.nan]),
                      len(latencies) / seconds, api_calls(url) - calls_before, failures[0] if failures else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrapers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--issues", type=int, default=5000, help="unresolved issues in the simulated org")
    parser.add_argument("--poll-interval", type=float, default=5.0, help="seconds between polls during the load")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    result = run(args.scrapers, args.seconds, args.issues, args.poll_interval)
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        print("| scrapers | seconds | issues | scrapes | failed | p50 (ms) | p99 (ms) | max (ms) | scrapes/s "
              "| Sentry API calls during load |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {result.scrapers} | {result.seconds:g} | {result.issues:,} | {result.scrapes} | {result.failures} "
              f"| {result.p50_ms:.1f} | {result.p99_ms:.1f} | {result.max_ms:.1f} | {result.per_second:.0f} "
              f"| {result.api_calls_during_load} |")
        if result.first_failure:
            print(f"first failure: {result.first_failure}")
    sys.exit(1 if result.failures else 0)


if __name__ == "__main__":
    main()
