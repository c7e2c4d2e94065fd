"""Shared test helpers: finding real tools, free ports, and running the real exporter process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
CLOCKSHIFT = ROOT / "tests" / "clockshift"  # see clock_variables()
SHARED = ROOT.parent / "shared"  # read-only reference files laid beside the repository; use shared()
EXPORTER = str(Path(sys.executable).with_name("sentry-exporter"))
TOKEN = "sntryu_test_token_0123456789"  # what the simulator accepts; it must never show in any output


def assignee_label(assignee) -> str:
    """The exporter's assignee label for a simulator Assignee: teams as '#slug', users by name."""
    if assignee is None:
        return "unassigned"
    return f"#{assignee.name}" if assignee.kind == "team" else assignee.name


def clock_variables() -> dict[str, str]:
    """Under faketime (tests/hostile/test_any_date.py runs layers so), what a child needs to share this
    process's wall clock: faketime's own variables, a start-at time not restarted in the child (DONT_RESET),
    and the real monotonic clock with tests/clockshift's sleep, which Debian's libfaketime needs for Python.
    A child without them runs on the real clock and disagrees with the simulator. Empty otherwise."""
    if "FAKETIME" not in os.environ:
        return {}
    path = [str(CLOCKSHIFT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**{k: v for k, v in os.environ.items() if k in ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED")},
            "FAKETIME_DONT_RESET": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "PYTHONPATH": os.pathsep.join(dict.fromkeys(path))}


def inherited_env() -> dict[str, str]:
    """This process's environment for a child, with its clock (clock_variables)."""
    return {**os.environ, **clock_variables()}


def child_env(**settings: str) -> dict[str, str]:
    """A clean environment for a child process: a PATH, this process's clock, and `settings`."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **clock_variables(), **settings}


def require_tool(name: str) -> str:
    """Path of a required binary; missing means fail under CI (never a silent skip), skip elsewhere."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (run ./run-tests, which installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def shared(*parts: str) -> Path:
    """A path under ../shared (Sentry's API contract, schemas), failing with what is missing and where."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: these tests read the read-only reference files in {SHARED}, "
                    "beside the repository (as the sessions and CI lay them out)", pytrace=False)
    return path


def at_test_speed(groups: list[dict]) -> list[dict]:
    """Rule groups for a test Prometheus that evaluates every second: a group's own `interval:` (3m for
    the day-long stats rules) would keep it from running within a test, so it follows the global one.
    tests/rules/test_rule_intervals.py checks the real cadence."""
    return [{key: value for key, value in group.items() if key != "interval"} for group in groups]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # the thing is not up yet
            last_error = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


class ExporterProcess:
    """The real `sentry-exporter` console script in a child process. Its output is drained as it comes:
    a pipe nobody reads fills (64 KiB) and then blocks every thread of the exporter that logs, which
    stalled a minute-long incident scenario's polls."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...] = ()):
        self.port = free_port()
        self.env = child_env(EXPORTER_HOST="127.0.0.1", EXPORTER_PORT=str(self.port), LOG_FORMAT="json", **env)
        self.proc = subprocess.Popen([EXPORTER, *args], env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [threading.Thread(target=_drain, args=(stream, into), daemon=True)
                         for stream, into in ((self.proc.stdout, self._out), (self.proc.stderr, self._err))]
        for reader in self._readers:
            reader.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> "ExporterProcess":
        wait_for(lambda: self._alive() and requests.get(f"{self.url}/readyz", timeout=2).status_code == 200,
                 timeout, what="exporter /readyz")
        return self

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            for reader in self._readers:
                reader.join(timeout=5)
            raise AssertionError(f"exporter exited with {self.proc.returncode}: {''.join(self._err)}")
        return True

    def metrics(self, **kwargs) -> str:
        resp = requests.get(f"{self.url}/metrics", timeout=5, **kwargs)
        resp.raise_for_status()
        return resp.text

    def stop(self) -> tuple[str, str]:
        """SIGTERM, then SIGKILL if it lingers; returns (stdout, stderr) as stop_process does."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        return "".join(self._out), "".join(self._err)


def _drain(stream, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> tuple:
    """SIGTERM (what Docker and Railway send), then SIGKILL if it lingers; returns (stdout, stderr)."""
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def sample_values(exposition: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """{sorted label pairs: value} for every sample of one metric, parsed by prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families
    values = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name:
                values[tuple(sorted(sample.labels.items()))] = sample.value
    return values
