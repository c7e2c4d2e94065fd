"""Issue 13's steady-state scenario: a live org polled incrementally (or fully, for comparison).

The simulator runs as its own process with `--control`: its live org (about 1 % of issues get events a
minute, plus new issues, resolutions, regressions and reassignments) starts once the exporter's first
full listing is done, and `/_control/truth` serves what is true. Time is scaled: with `--scale S` every
interval, the 1 s page latency, the rate limit (5 requests/s) and the org's pace are S times faster,
so the figures per interval are those of the unscaled org.

Measured, per run: issues-endpoint calls per poll interval (confirmations included) against ⌈U/100⌉;
the other endpoints' calls apart; how long a new issue, a regression and a burst of 50 events take to
reach /metrics; the count error against the truth right after each reconciliation (issues that changed
while it ran excused) and between them; peak RSS; 429s; events counted twice or missed; `left`
transitions beyond the truth's departures, with one reconciliation run against a listing cut in half;
and, once an interval, how long the simulator takes for a page then (the bench's own timed request), since
on a small machine a simulator searching 50,000 issues can answer slower than the latency it was asked for.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
import time
from collections import Counter

import requests
from prometheus_client.parser import text_string_to_metric_families

from processes import simulator_and_exporter, wait

PROBE = "bench-probe"
PAGE_SECONDS = 1.0      # Sentry's answer time per page, unscaled
INTERVAL = 60.0         # SENTRY_POLL_INTERVAL_SECONDS, unscaled
RECONCILE = 900.0       # SENTRY_RECONCILE_INTERVAL_SECONDS, unscaled
RATE_LIMIT = 5          # requests/s, unscaled


def scrape(url: str) -> str:
    return requests.get(f"{url}/metrics", timeout=10).text


def quick(text: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples with `labels`, by a scan of the lines: the probes are checked every
    0.1 s, and a full parse at 50,000 issues would make the bench the busiest process on the machine."""
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    found = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " ") and all(w in line for w in wanted):
            found += float(line.rsplit(" ", 1)[1])
    return found


def metrics(url: str, text: str | None = None) -> dict[str, list[tuple[dict, float]]]:
    text = scrape(url) if text is None else text
    found: dict[str, list[tuple[dict, float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found.setdefault(s.name, []).append((s.labels, s.value))
    return found


def total(m: dict, name: str, **labels: str) -> float:
    return sum(v for l, v in m.get(name, []) if all(l.get(k) == x for k, x in labels.items()))


def counts(m: dict) -> Counter:
    return Counter({(l["project"], l["level"], l["substatus"], l["priority"], l["assignee"]): v
                    for l, v in m.get("sentry_issues", [])})


def count_error(m: dict, truth: dict, excuse_changes: bool) -> int:
    """Issues counted under the wrong labels; with `excuse_changes`, those that changed since `since` are not."""
    want = Counter({tuple(row[:-1]): row[-1] for row in truth["counts"]})
    allowed: Counter = Counter()
    if excuse_changes:
        for old, new in truth["changes"]:
            for k in (old, new):
                if k is not None:
                    allowed[tuple(k)] += 1
    got = counts(m)
    return int(sum(max(0, abs(got[k] - want[k]) - allowed[k]) for k in set(got) | set(want)))


def pass_of(text: str) -> tuple[float, float]:
    """(start, duration) of the issues poller's latest successful run."""
    return (quick(text, "sentry_last_success_timestamp_seconds", poller="issues"),
            quick(text, "sentry_poll_duration_seconds", poller="issues"))


def page_time(sim: str, token: str) -> float:
    """How long the simulator takes for one sort=date page now, as the exporter would see it."""
    started = time.monotonic()
    requests.get(f"{sim}/api/0/organizations/acme/issues/", headers={"Authorization": f"Bearer {token}"},
                 params={"query": "is:unresolved", "sort": "date", "limit": "100", "statsPeriod": "14d",
                         "groupStatsPeriod": ""}, timeout=60).raise_for_status()
    return time.monotonic() - started


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return math.nan


class Probe:
    """One change, timed until /metrics shows it."""
    SEEN = {"new": lambda text: quick(text, "sentry_issues", project=PROBE),
            "regression": lambda text: quick(text, "sentry_issue_transitions_total", project=PROBE,
                                             transition="regressed"),
            "burst": lambda text: quick(text, "sentry_issue_events_total", project=PROBE)}

    def __init__(self, url: str, sim: str, kind: str, interval: float):
        self.kind, self.before = kind, self.SEEN[kind](scrape(url))
        self.fired = time.monotonic()
        requests.get(f"{sim}/_control/probe", params={"kind": kind}, timeout=10).raise_for_status()
        self.deadline = self.fired + 4 * interval
        self.latency: float | None = None

    def check(self, text: str) -> bool:
        """True once seen (or given up on: latency stays None)."""
        if self.SEEN[self.kind](text) > self.before:
            self.latency = time.monotonic() - self.fired
            return True
        return time.monotonic() > self.deadline


def setup(issues: int, scale: float, reconcile: float) -> tuple[list[str], dict[str, str]]:
    """The simulator's arguments and the exporter's settings of a scaled steady run."""
    interval, page = INTERVAL / scale, PAGE_SECONDS / scale
    simulator = ["--issues", str(issues), "--projects", "20", "--latency", f"{page:g}",
                 "--rate-limit", str(int(RATE_LIMIT * scale)), "--control", "--scale", f"{scale:g}"]
    env = {"SENTRY_MAX_ISSUES": str(max(10_000, 2 * issues)), "SENTRY_POLL_INTERVAL_SECONDS": f"{interval:g}",
           "SENTRY_RECONCILE_INTERVAL_SECONDS": f"{reconcile:g}", "SENTRY_INGESTION_GRACE_SECONDS": f"{120 / scale:g}",
           "SENTRY_MAX_REQUESTS_PER_SECOND": f"{RATE_LIMIT * scale:g}", "SENTRY_STATS_INTERVAL_SECONDS": "86400",
           "SENTRY_RELEASES_PER_PROJECT": "0", "SENTRY_TIMEOUT_SECONDS": "60",
           "SENTRY_MAX_ISSUE_SERIES": "1000000"}  # no assignee folding: the counts compare with the truth
    return simulator, env


def steady(issues: int, mode: str, scale: float, reconciliations: int = 2) -> dict:
    interval, page = INTERVAL / scale, PAGE_SECONDS / scale
    reconcile = RECONCILE / scale if mode == "incremental" else 0.0
    full_poll = math.ceil(issues / 100) * page
    simulator, env = setup(issues, scale, reconcile)
    # Incremental: past `reconciliations` reconciliations after the first, steady one; full: three listings.
    duration = (reconciliations + 1.2) * reconcile if reconcile else max(12 * interval, 3.2 * full_poll)
    with simulator_and_exporter(simulator, env, "sntryu_bench") as (url, exporter, sim):
        wait(lambda: requests.get(f"{url}/readyz", timeout=2).ok, 7200, "the first full listing")
        m, truth0 = metrics(url), _truth(sim, 0)
        calls0, others0 = total(m, "sentry_api_requests_total", endpoint="issues"), _others(m)
        left0 = total(m, "sentry_issue_transitions_total", transition="left")
        requests.get(f"{sim}/_control/live", params={"action": "start"}, timeout=10).raise_for_status()
        t0, t0_wall = time.monotonic(), time.time()
        last = total(m, "sentry_issues_reconciled_timestamp_seconds")
        after, between, probes, done, cut_error, passes, pages = [], [], [], 0, math.nan, set(), []
        kinds = itertools.cycle(("new", "regression", "burst"))
        probe: Probe | None = None
        cut_phase = 0  # 0: before, 1: this reconciliation's listing is cut in half, 2: after
        next_sample = t0
        while time.monotonic() - t0 < duration:
            text = scrape(url)
            reconciled = quick(text, "sentry_issues_reconciled_timestamp_seconds")
            if reconciled > last:  # a full listing has just been published
                last, done = reconciled, done + 1
                error = count_error(metrics(url, text), _truth(sim, reconciled), excuse_changes=True)
                if cut_phase == 1:
                    cut_error = error  # the cut listing kept what it could not see, as it should
                else:
                    after.append(error)
                if mode == "incremental" and cut_phase < 2:
                    cut_phase += 1
                    cut = str(issues // 2) if cut_phase == 1 else "none"
                    requests.get(f"{sim}/_control/switch", params={"listing_cut": cut}, timeout=10)
            elif time.monotonic() >= next_sample:
                between.append(count_error(metrics(url, text), _truth(sim, time.time()), excuse_changes=False))
                pages.append(page_time(sim, "sntryu_bench") * scale)
                next_sample += interval
            passes.add(pass_of(text))
            if probe is not None and probe.check(text):
                probes.append((probe.kind, probe.latency))
                probe = None
            if probe is None:
                probe = Probe(url, sim, next(kinds), max(interval, full_poll if not reconcile else interval))
            time.sleep(0.1)  # the probes' resolution
        elapsed = time.monotonic() - t0
        m = metrics(url)
        calls = total(m, "sentry_api_requests_total", endpoint="issues") - calls0
        others = _others(m) - others0
        requests.get(f"{sim}/_control/live", params={"action": "stop"}, timeout=10)
        requests.get(f"{sim}/_control/switch", params={"listing_cut": "none"}, timeout=10)
        # Settle: a full listing that started after the org stopped has seen every event.
        stopped = time.time()
        wait(lambda: total(metrics(url), "sentry_issues_reconciled_timestamp_seconds") > stopped,
             3 * (reconcile or full_poll) + 10 * interval, "a full listing after the org stopped")
        m, truth = metrics(url), _truth(sim, 0)
        events = total(m, "sentry_issue_events_total")
        truth_events = truth["events"] - truth0["events"]
        lefts = total(m, "sentry_issue_transitions_total", transition="left") - left0
        return {
            "mode": mode, "issues": issues, "scale": scale, "intervals": elapsed / interval,
            "calls_per_interval": calls / (elapsed / interval), "floor": math.ceil(issues / 100),
            "others_per_interval": others / (elapsed / interval),
            "fresh_max": max((lat for _, lat in probes if lat is not None), default=math.nan) / interval,
            "pass_seconds": sorted(d for started, d in passes if started >= t0_wall) or [math.nan],
            "page_seconds": sorted(pages) or [math.nan],
            "probes": len(probes), "unseen": [kind for kind, lat in probes if lat is None],
            "error_after": max(after, default=math.nan), "reconciliations": done, "cut_error": cut_error,
            "error_between": (sum(between) / len(between), max(between)) if between else (math.nan, math.nan),
            "rss_mb": peak_rss_mb(exporter.pid), "rate_limited": int(total(m, "sentry_api_requests_total", code="429")),
            "double": max(0.0, events - truth_events), "missed": max(0.0, truth_events - events),
            "phantom_left": max(0.0, lefts - (truth["left"] - truth0["left"])),
        }


def _others(m: dict) -> float:
    return sum(v for l, v in m.get("sentry_api_requests_total", []) if l.get("endpoint") != "issues")


def _truth(sim: str, since: float) -> dict:
    return requests.get(f"{sim}/_control/truth", params={"since": f"{since:.3f}"}, timeout=60).json()


HEADER = ("| mode | unresolved issues | time scale | intervals | issues calls / interval | ⌈U/100⌉ | calls ÷ ⌈U/100⌉ "
          "| other calls / interval | slowest probe (intervals) | issues passes, median / max (intervals) "
          "| Sentry page, median / max (s, unscaled) "
          "| count error after reconciliation | after the cut one "
          "| count error between (mean / max) | peak RSS (MB) | 429s | double-counted events | missed events | phantom lefts |")


def row(r: dict) -> str:
    mean, worst = r["error_between"]
    interval = INTERVAL / r["scale"]
    return (f"| {r['mode']} | {r['issues']:,} | {r['scale']:g}× | {r['intervals']:.0f} | {r['calls_per_interval']:.1f} "
            f"| {r['floor']} | {r['calls_per_interval'] / r['floor']:.2f} | {r['others_per_interval']:.1f} "
            f"| {r['fresh_max']:.2f} ({r['probes']} probes, unseen: {', '.join(r['unseen']) or 'none'}) "
            f"| {statistics.median(r['pass_seconds']) / interval:.2f} / {r['pass_seconds'][-1] / interval:.2f} "
            f"| {statistics.median(r['page_seconds']):.2f} / {r['page_seconds'][-1]:.2f} "
            f"| {r['error_after']:.0f} ({r['reconciliations']} listings) | {r['cut_error']:.0f} | {mean:.1f} / {worst} | {r['rss_mb']:.0f} "
            f"| {r['rate_limited']} | {r['double']:.0f} | {r['missed']:.0f} | {r['phantom_left']:.0f} |")


def freshness(issues: int, scale: float, probes: int, budget: float, seed: int = 1) -> dict:
    """How long a resolution takes to reach /metrics (issue 21, point 8), with the default schedule: the
    live org runs, and `probes` times, at a random moment of the reconciliation period, one probe issue
    is resolved and timed until sentry_issues{project="bench-probe"} drops. Each wait is capped; the
    whole run stops after `budget` seconds (wall, scaled), however many probes it has timed."""
    interval, reconcile = INTERVAL / scale, RECONCILE / scale
    rng = random.Random(seed)
    simulator, env = setup(issues, scale, reconcile)
    with simulator_and_exporter(simulator, env, "sntryu_bench") as (url, exporter, sim):
        wait(lambda: requests.get(f"{url}/readyz", timeout=2).ok, 7200, "the first full listing")
        calls0 = total(metrics(url), "sentry_api_requests_total", endpoint="issues")
        requests.get(f"{sim}/_control/live", params={"action": "start"}, timeout=10).raise_for_status()
        t0 = time.monotonic()
        latencies: list[float | None] = []
        while len(latencies) < probes and time.monotonic() - t0 < budget:
            time.sleep(rng.uniform(0, interval))  # a random moment against the passes and listings
            before = quick(scrape(url), "sentry_issues", project=PROBE)
            fired = time.monotonic()
            requests.get(f"{sim}/_control/probe", params={"kind": "resolution"}, timeout=10).raise_for_status()
            seen = None
            while time.monotonic() - fired < 2 * reconcile + 4 * interval:
                if quick(scrape(url), "sentry_issues", project=PROBE) < before:
                    seen = (time.monotonic() - fired) * scale
                    break
                time.sleep(0.1)
            latencies.append(seen)
        elapsed = time.monotonic() - t0
        calls = total(metrics(url), "sentry_api_requests_total", endpoint="issues") - calls0
        requests.get(f"{sim}/_control/live", params={"action": "stop"}, timeout=10)
        timed = sorted(x for x in latencies if x is not None)
        return {"issues": issues, "scale": scale, "probes": len(latencies), "unseen": len(latencies) - len(timed),
                "median": statistics.median(timed) if timed else math.nan, "max": timed[-1] if timed else math.nan,
                "calls_per_interval": calls / (elapsed / interval), "floor": math.ceil(issues / 100)}


FRESHNESS_HEADER = ("| unresolved issues | time scale | resolutions timed | unseen | to /metrics, median / max (s, unscaled) "
                    "| issues calls / interval | ÷ ⌈U/100⌉ |")


def freshness_row(r: dict) -> str:
    return (f"| {r['issues']:,} | {r['scale']:g}× | {r['probes']} | {r['unseen']} | {r['median']:.0f} / {r['max']:.0f} "
            f"| {r['calls_per_interval']:.1f} | {r['calls_per_interval'] / r['floor']:.2f} |")
