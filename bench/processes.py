"""What both benchmarks run: the simulator and a real `sentry-exporter`, each in its own process,
so the exporter's memory and latency are its own."""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench: timed out waiting for {what}")


def p99(values: list[float]) -> float:
    ordered = sorted(values) or [math.nan]
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


@contextlib.contextmanager
def simulator_and_exporter(simulator_args: list[str], exporter_env: dict[str, str], token: str
                           ) -> Iterator[tuple[str, subprocess.Popen, str]]:
    """Yield (exporter base URL, exporter process, simulator base URL) once the exporter listens;
    both stop afterwards."""
    sim_port, exp_port = free_port(), free_port()
    sim = subprocess.Popen([str(BIN / "python"), "-m", "sentry_simulator", "--port", str(sim_port),
                            "--token", token, *simulator_args],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sim.stdout.readline()  # the simulator prints its URL once it listens
    env = {"PATH": os.environ.get("PATH", ""), "SENTRY_URL": f"http://127.0.0.1:{sim_port}",
           "SENTRY_AUTH_TOKEN": token, "SENTRY_ORG": "acme", "EXPORTER_HOST": "127.0.0.1",
           "EXPORTER_PORT": str(exp_port), "LOG_LEVEL": "warning", **exporter_env}
    exporter = subprocess.Popen([str(BIN / "sentry-exporter")], env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{exp_port}"
    try:
        wait(lambda: requests.get(f"{url}/healthz", timeout=1).ok, 30, "the exporter to listen")
        yield url, exporter, f"http://127.0.0.1:{sim_port}"
    finally:
        exporter.terminate()
        sim.terminate()
        exporter.wait(10)
        sim.wait(10)
