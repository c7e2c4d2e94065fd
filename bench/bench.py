#!/usr/bin/env python3
"""Benchmark the exporter against the simulator at several org sizes; prints a Markdown table.

Each row starts a simulator process and a real `sentry-exporter` process (so memory is the
exporter's own), waits for the first full poll cycle, then reads what the exporter reports about
itself: API calls (sentry_api_requests_total), poll wall time (sentry_poll_duration_seconds), plus
/metrics latency measured here while polls run, and the exporter's peak RSS (VmHWM).

    .venv/bin/python bench/bench.py                 # 10, 1k, 10k and 50k issues
    .venv/bin/python bench/bench.py --sizes 10 1000 # a quicker run
    .venv/bin/python bench/bench.py --steady 1000   # issue 13's steady state (steady.py), live org
    .venv/bin/python bench/bench.py --freshness 1000 10000   # how long a resolution takes to show
"""

from __future__ import annotations

import argparse
import math
import statistics
import threading
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from processes import p99, simulator_and_exporter, wait
from steady import FRESHNESS_HEADER, HEADER, freshness, freshness_row, row, steady

TOKEN = "sntryu_bench"


def samples(text: str, name: str) -> list[tuple[dict, float]]:
    return [(s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples if s.name == name]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(issues: int, latency: float, rate_limit: int | None, scrapes: int) -> dict:
    simulator = ["--issues", str(issues), "--projects", "20", "--latency", str(latency)]
    simulator += ["--rate-limit", str(rate_limit)] if rate_limit else []
    env = {"SENTRY_MAX_ISSUES": str(max(10_000, 2 * issues)), "SENTRY_POLL_INTERVAL_SECONDS": "3600",
           "SENTRY_STATS_INTERVAL_SECONDS": "3600", "SENTRY_MAX_REQUESTS_PER_SECOND": "5"}
    latencies: list[float] = []
    stop = threading.Event()
    with simulator_and_exporter(simulator, env, TOKEN) as (url, exporter, _):
        def scrape_loop():
            session = requests.Session()
            while not stop.is_set() and len(latencies) < scrapes:
                t0 = time.perf_counter()
                session.get(f"{url}/metrics", timeout=5).raise_for_status()
                latencies.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.02)

        scraper = threading.Thread(target=scrape_loop, daemon=True)
        t0 = time.monotonic()
        scraper.start()  # scrapes run while the first poll cycle is under way
        wait(lambda: requests.get(f"{url}/readyz", timeout=2).ok, 3600, "the first poll cycle")
        cycle_seconds = time.monotonic() - t0
        stop.set()
        scraper.join()
        time.sleep(1.1)  # /metrics is rendered at most once a second (server.py): read it after the cycle
        text = requests.get(f"{url}/metrics", timeout=5).text
        calls = {(l["endpoint"], l["code"]): v for l, v in samples(text, "sentry_api_requests_total")}
        durations = {l["poller"]: v for l, v in samples(text, "sentry_poll_duration_seconds")}
        listed = sum(v for _, v in samples(text, "sentry_issues"))
        return {
            "issues": issues, "listed": int(listed), "latency": latency,
            "calls": int(sum(v for (_, code), v in calls.items() if code != "429")),
            "floor": math.ceil(listed / 100), "rate_limited": int(sum(v for (_, c), v in calls.items() if c == "429")),
            "issues_poll_s": durations.get("issues", float("nan")), "cycle_s": cycle_seconds,
            "p50": statistics.median(latencies), "p99": p99(latencies), "scrapes": len(latencies),
            "rss_mb": peak_rss_mb(exporter.pid),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10_000, 50_000])
    parser.add_argument("--slow-size", type=int, default=1000, help="org size for the 2 s-latency row")
    parser.add_argument("--rate-limit", type=int, default=5, help="simulated Sentry limit, requests/s per rate-limit bucket")
    parser.add_argument("--scrapes", type=int, default=400)
    parser.add_argument("--steady", type=int, nargs="*", metavar="ISSUES",
                        help="issue 13's steady-state scenario instead, at these org sizes (default 1000 10000 50000)")
    parser.add_argument("--freshness", type=int, nargs="*", metavar="ISSUES",
                        help="how long a resolution takes to show, at these org sizes (default 1000 10000)")
    parser.add_argument("--probes", type=int, default=6, help="resolutions timed per size (--freshness)")
    parser.add_argument("--budget", type=float, default=150, help="wall seconds of probing per size (--freshness)")
    parser.add_argument("--modes", nargs="+", default=["incremental", "full"], choices=["incremental", "full"])
    parser.add_argument("--scale", type=float, default=None,
                        help="time scale of the steady scenario (default: 10 below 50,000 issues, 5 at 50,000)")
    args = parser.parse_args()
    if args.freshness is not None:
        print(FRESHNESS_HEADER)
        print("|" + "---:|" * (FRESHNESS_HEADER.count("|") - 1), flush=True)
        for size in args.freshness or [1000, 10_000]:
            print(freshness_row(freshness(size, args.scale or 10.0, args.probes, args.budget)), flush=True)
        return
    if args.steady is not None:
        print(HEADER)
        print("|---|" + "---:|" * (HEADER.count("|") - 2), flush=True)
        for size in args.steady or [1000, 10_000, 50_000]:
            for mode in args.modes:
                print(row(steady(size, mode, args.scale or (5.0 if size >= 50_000 else 10.0))), flush=True)
        return
    print("| org size | unresolved issues listed | Sentry latency | API calls / cycle | ⌈I/100⌉ + 5 | 429s | issues poll (s) "
          "| first cycle (s) | /metrics p50 (ms) | /metrics p99 (ms) | scrapes | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    cases = [(n, 0.0) for n in args.sizes] + [(args.slow_size, 2.0)]
    for size, latency in cases:
        r = run(size, latency, args.rate_limit, args.scrapes)
        print(f"| {r['issues']:,} | {r['listed']:,} | {r['latency']:.0f} s | {r['calls']} | {r['floor'] + 5} | {r['rate_limited']} "
              f"| {r['issues_poll_s']:.1f} | {r['cycle_s']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['scrapes']} "
              f"| {r['rss_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
