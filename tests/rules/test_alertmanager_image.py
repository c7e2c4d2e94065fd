"""The Alertmanager image's start sequence, run here with Debian's binary in place of the image's."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import requests

from rules_support import ALERTMANAGER_DIR, ROOT
from tools import free_port, require_tool, wait_for

DOCKERFILE = (ALERTMANAGER_DIR / "Dockerfile").read_text()


def test_image_is_pinned_and_copies_existing_files():
    assert re.search(r"^FROM prom/alertmanager:v\d+\.\d+\.\d+ AS upstream$", DOCKERFILE, flags=re.M)
    assert re.search(r"^FROM python:3\.\d+-slim-\w+$", DOCKERFILE, flags=re.M)
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, flags=re.M):
        for source in sources.split():
            assert (ROOT / source).is_file(), source


def entrypoint(tmp_path, port: int) -> list[str]:
    """The ENTRYPOINT's own shell command, with the image's paths mapped onto this machine."""
    command = json.loads(re.search(r"^ENTRYPOINT (\[.+\])$", DOCKERFILE, flags=re.M).group(1))
    assert command[:2] == ["/bin/sh", "-c"]
    script = command[2]
    for image_path, here in [("python3 ", f"{sys.executable} "), ("/etc/alertmanager/", f"{ALERTMANAGER_DIR}/"),
                             ("/tmp/alertmanager.yml", str(tmp_path / "alertmanager.yml")),
                             ("/bin/alertmanager", require_tool("prometheus-alertmanager")),
                             ("--storage.path=/alertmanager", f"--storage.path={tmp_path / 'data'}"),
                             ("--web.listen-address=:9093", f"--web.listen-address=127.0.0.1:{port}")]:
        assert image_path in script, image_path
        script = script.replace(image_path, here)
    return ["/bin/sh", "-c", script, *command[3:]]


def test_entrypoint_renders_from_the_environment_then_runs_alertmanager(tmp_path):
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "ALERT_TEAMS": "team-a", "ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hook"}
    with (tmp_path / "log").open("w") as log:
        proc = subprocess.Popen(entrypoint(tmp_path, port), env=env, stdout=log, stderr=log)
    try:
        status = wait_for(lambda: proc.poll() is None and requests.get(
            f"http://127.0.0.1:{port}/api/v2/status", timeout=2).json(), timeout=20, what="alertmanager status")
        assert "name: team-a-page" in status["config"]["original"]
        assert "http://127.0.0.1:9/hook" in status["config"]["original"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bad_variable_stops_the_start_with_one_line(tmp_path):
    result = subprocess.run(entrypoint(tmp_path, free_port()), capture_output=True, text=True, timeout=30,
                            env={"PATH": "/usr/bin:/bin", "ALERT_SLACK_WEBHOOK_URL": "not a url"})
    assert result.returncode == 2
    assert result.stderr == "render_config: ALERT_SLACK_WEBHOOK_URL must be an http(s) URL\n"
    assert not (tmp_path / "alertmanager.yml").exists()
