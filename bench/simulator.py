#!/usr/bin/env python3
"""How fast the simulator builds a large org and pages it: the benchmark's own floor. Prints a Markdown table.

    .venv/bin/python bench/simulator.py                  # 1k, 10k and 50k issues
    .venv/bin/python bench/simulator.py --sizes 50000
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import requests

from sentry_simulator import FakeClock, SimulatorServer, build_org

NOW = 1_790_000_000.0
TOKEN = "sntryu_bench"
PAGES = 40


def measure(size: int) -> tuple[float, float, float]:
    started = time.perf_counter()
    org = build_org(projects=5, unresolved=size, resolved=0, ignored=0, seed=1, now=NOW)
    built = time.perf_counter() - started
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN) as srv, requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {TOKEN}"
        url = f"{srv.url}/api/0/organizations/acme/issues/"
        params = {"query": "is:unresolved", "statsPeriod": "14d", "limit": 100, "sort": "new"}
        timings, cursor = [], None
        for _ in range(min(PAGES, size // 100)):
            t0 = time.perf_counter()
            response = http.get(url, params=dict(params, cursor=cursor) if cursor else params)
            timings.append(time.perf_counter() - t0)
            match = re.search(r'rel="next"; results="true"; cursor="([^"]+)"', response.headers.get("Link", ""))
            if not match:
                break
            cursor = match.group(1)
    first, rest = timings[0], timings[1:] or timings
    return built, first * 1000, statistics.median(rest) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    sizes = parser.parse_args().sizes
    print("| issues | build (s) | first page (ms) | later pages, median (ms) |")
    print("|---:|---:|---:|---:|")
    for size in sizes:
        built, first, later = measure(size)
        print(f"| {size:,} | {built:.2f} | {first:.1f} | {later:.1f} |", flush=True)


if __name__ == "__main__":
    main()
