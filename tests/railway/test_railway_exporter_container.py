"""The exporter image's own command (its Dockerfile CMD/ENTRYPOINT, run from the installed package
since no Docker engine runs here) starts with nothing but the variables Railway gives it and
answers Railway's healthcheck; without a token it stops with one clear line and exit code 2."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from railway_support import ROOT, SERVICES, container_command, image_env, literal_variables, project, read_dockerfile, \
    resources
from tools import EXPORTER, free_port, stop_process, wait_for

HEALTHCHECK_HOST = "healthcheck.railway.app"  # the Host header of Railway's deploy healthcheck
# Variables Railway injects into every deployment; the exporter must start with them around.
RAILWAY_INJECTED = {
    "RAILWAY_ENVIRONMENT_NAME": "production",
    "RAILWAY_PROJECT_NAME": "sentry-observability",
    "RAILWAY_SERVICE_NAME": "exporter",
    "RAILWAY_PRIVATE_DOMAIN": "exporter.railway.internal",
    "RAILWAY_DEPLOYMENT_ID": "00000000-0000-0000-0000-000000000000",
}


def dockerfile() -> Path:
    return ROOT / SERVICES["exporter"].dockerfile


def installed_command() -> list[str]:
    """The image's command, pointed at this checkout's installed package."""
    command = container_command(dockerfile())
    while command and os.path.basename(command[0]) in ("tini", "dumb-init", "--"):
        command = command[1:]
    if not command:
        pytest.fail("exporter/Dockerfile has no CMD or ENTRYPOINT")
    program = os.path.basename(command[0])
    if program == "sentry-exporter":
        return [EXPORTER, *command[1:]]
    if program.startswith("python") and command[1:3] == ["-m", "sentry_exporter"]:
        return [sys.executable, *command[1:]]
    pytest.fail(f"cannot map the container command {command} onto the installed package")


def railway_environment(**extra: str) -> tuple[dict[str, str], int]:
    """What the container sees on Railway: the image's ENV, the literal variables railway.ts sets
    (references to other services would leave loopback, so they stay out), Railway's injected
    variables and PORT. EXPORTER_HOST=::1 stands in for the default `::` to keep to loopback while
    still listening on IPv6, as Railway's private network needs."""
    port = free_port()
    env = {k: v for k, v in image_env(read_dockerfile(dockerfile())).items() if k not in ("PATH", "HOME")}
    env.update({k: v for k, v in literal_variables(resources(project(), "service")["exporter"]).items()
                if "${{" not in v})
    env.update(RAILWAY_INJECTED)
    env.update({"PATH": os.environ.get("PATH", ""), "PORT": str(port), "EXPORTER_HOST": "::1", **extra})
    return env, port


class Container:
    def __init__(self, env: dict[str, str], port: int):
        self.proc = subprocess.Popen(installed_command(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.url = f"http://[::1]:{port}"

    def get(self, path: str, **kwargs) -> requests.Response:
        if self.proc.poll() is not None:  # pytest.fail is not an Exception, so wait_for stops at once
            pytest.fail(f"the exporter exited with {self.proc.returncode}: {self.proc.stderr.read()[-2000:]}")
        return requests.get(self.url + path, headers={"Host": HEALTHCHECK_HOST, **kwargs.pop("headers", {})},
                            timeout=3, **kwargs)

    def wait_healthy(self) -> requests.Response:
        return wait_for(lambda: (r := self.get(SERVICES["exporter"].healthcheck)).status_code == 200 and r,
                        timeout=30, what="the exporter's healthcheck path")

    def stop(self) -> tuple[int, str, str]:
        out, err = stop_process(self.proc, timeout=15)  # SIGTERM: what Railway sends when it replaces a deployment
        return self.proc.returncode, out, err


@pytest.fixture
def containers():
    started: list[Container] = []

    def start(env, port):
        started.append(Container(env, port))
        return started[-1]

    yield start
    for container in started:
        container.stop()


def test_demo_mode_serves_the_healthcheck_on_railways_port_and_stops_cleanly(containers):
    env, port = railway_environment(SENTRY_DEMO="1")
    container = containers(env, port)
    container.wait_healthy()
    metrics = wait_for(lambda: (m := container.get("/metrics").text) and 'sentry_exporter_demo{org="demo"} 1.0' in m and m,
                       timeout=20, what="demo metrics")
    assert "sentry_up" in metrics
    code, _, err = container.stop()
    assert code == 0, err


def test_sentry_variables_pointing_at_nothing_still_pass_the_healthcheck_and_keep_the_token_secret(containers):
    token = "sntrys_" + secrets.token_hex(24)
    unreachable = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env, port = railway_environment(SENTRY_URL=unreachable, SENTRY_ORG="acme", SENTRY_AUTH_TOKEN=token)
    container = containers(env, port)
    container.wait_healthy()
    wait_for(lambda: b'sentry_api_requests_total' in container.get("/metrics").content, timeout=20,
             what="a first (failed) poll")
    assert container.get("/readyz").status_code == 503, "not ready before one poll succeeded"
    _, out, err = container.stop()
    assert token not in out and token not in err


def test_without_token_or_demo_mode_it_exits_2_with_one_line_naming_the_variable(containers):
    env, port = railway_environment(SENTRY_URL=f"http://127.0.0.1:{free_port()}", SENTRY_ORG="acme")
    container = containers(env, port)
    try:
        code = container.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("the exporter kept running without a token")
    out, err = container.proc.communicate()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "SENTRY_AUTH_TOKEN" in lines[0], err
    assert "Traceback" not in err and not out.strip()


def test_healthcheck_needs_no_credentials_when_metrics_are_protected(containers):
    bearer = secrets.token_hex(16)
    env, port = railway_environment(SENTRY_DEMO="1", EXPORTER_BEARER_TOKEN=bearer)
    container = containers(env, port)
    container.wait_healthy()  # Railway's healthcheck sends no credentials
    assert container.get("/metrics").status_code == 401
    assert container.get("/metrics", headers={"Authorization": f"Bearer {bearer}"}).status_code == 200
