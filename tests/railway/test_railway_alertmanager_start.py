"""Alertmanager's image command (render the config from the environment, then start without
cluster gossip) runs with only Railway's variables and answers the healthcheck path Railway
probes. The real alertmanager binary runs it; the image's paths map onto the repository."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from railway_support import ROOT, SERVICES, container_command, copied_files, literal_variables, project, resources
from tools import free_port, require_tool, wait_for


def local_command(tmp_path, port: int) -> list[str]:
    """The ENTRYPOINT/CMD with image paths replaced by the repository's files and a loopback port."""
    dockerfile = ROOT / SERVICES["alertmanager"].dockerfile
    command = container_command(dockerfile)
    replacements = {path: str(repo) for path, repo in copied_files(dockerfile).items()}
    replacements.update({
        "/bin/alertmanager": require_tool("prometheus-alertmanager"),
        "python3 ": f"{sys.executable} ",
        "/tmp/alertmanager.yml": str(tmp_path / "alertmanager.yml"),
        "--storage.path=/alertmanager": f"--storage.path={tmp_path / 'data'}",
        f"--web.listen-address=:{SERVICES['alertmanager'].port}": f"--web.listen-address=[::1]:{port}",
    })
    local = []
    for word in command:
        for image_path, repo_path in replacements.items():
            word = word.replace(image_path, repo_path)
        local.append(word)
    joined = " ".join(local)
    if f"[::1]:{port}" not in joined or "prometheus-alertmanager" not in joined:
        pytest.fail(f"alertmanager's command no longer maps onto this test's replacements: {command}")
    return local


def test_alertmanager_starts_with_railway_variables_and_serves_its_healthcheck(tmp_path):
    port = free_port()
    alertmanager = resources(project(), "service")["alertmanager"]
    env = {"PATH": os.environ.get("PATH", ""), **literal_variables(alertmanager),
           "RAILWAY_SERVICE_NAME": "alertmanager", "RAILWAY_PRIVATE_DOMAIN": "alertmanager.railway.internal"}
    proc = subprocess.Popen(local_command(tmp_path, port), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        def ready():
            if proc.poll() is not None:
                pytest.fail(f"alertmanager exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
            status = requests.get(f"http://[::1]:{port}{alertmanager['deploy']['healthcheckPath']}",
                                  headers={"Host": "healthcheck.railway.app"}, timeout=2).status_code
            if status != 200:
                raise AssertionError(f"HTTP {status}")  # reported by wait_for when it times out
            return True
        wait_for(ready, timeout=20, what="alertmanager's Railway healthcheck path")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=15)
