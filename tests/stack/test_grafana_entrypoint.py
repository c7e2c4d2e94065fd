"""Grafana's entrypoint, run with a stub `grafana` and a stub /run.sh that record their calls:
the environment decides the admin password, and a public Grafana refuses a default one."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from stackfiles import GRAFANA_DIR, ROOT, dockerfile_instructions

DOCKERFILE = GRAFANA_DIR / "Dockerfile"
SCRIPT_IN_IMAGE = "/etc/grafana/entrypoint.sh"
RECORDER = """#!/bin/sh
# Appends one JSON line: which program ran, its arguments, and what it read on stdin.
stdin=""
if [ "$1" = cli ]; then stdin="$(cat)"; fi
python3 -c 'import json, sys; print(json.dumps({"prog": sys.argv[1], "args": sys.argv[3:], "stdin": sys.argv[2]}))' \\
  "$(basename "$0")" "$stdin" "$@" >> "$CALLS"
exit "${STUB_EXIT:-0}"
"""


@pytest.fixture
def image(tmp_path):
    """The image's ENTRYPOINT with /run.sh and `grafana` replaced by recorders; returns a start()."""
    (entrypoint,) = [json.loads(a) for w, a in dockerfile_instructions(DOCKERFILE) if w == "ENTRYPOINT"]
    assert entrypoint == ["/bin/sh", SCRIPT_IN_IMAGE]
    copies = {a.split()[-1]: a.split()[0] for w, a in dockerfile_instructions(DOCKERFILE) if w == "COPY"}
    script = (ROOT / copies[SCRIPT_IN_IMAGE]).read_text()
    assert 'exec /run.sh "$@"' in script
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("grafana", "run.sh"):
        (bin_dir / name).write_text(RECORDER)
        (bin_dir / name).chmod(0o755)
    local = tmp_path / "entrypoint.sh"
    local.write_text(script.replace("exec /run.sh", f"exec {bin_dir / 'run.sh'}"))
    data = tmp_path / "data"
    data.mkdir()
    calls = tmp_path / "calls.jsonl"

    def start(env: dict[str, str], *args: str, cli_exit: int = 0):
        base = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls), "GF_PATHS_DATA": str(data),
                "GF_PATHS_HOME": "/usr/share/grafana", "GF_PATHS_CONFIG": "/etc/grafana/grafana.ini"}
        if cli_exit:
            base["STUB_EXIT"] = str(cli_exit)
        result = subprocess.run(["/bin/sh", str(local), *args], env={**base, **env},
                                capture_output=True, text=True, timeout=30)
        recorded = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
        calls.unlink(missing_ok=True)
        return result, recorded

    start.database = data / "grafana.db"
    return start


REFUSAL = "grafana: GF_SECURITY_ADMIN_PASSWORD must be set to a password other than 'admin' when Grafana is public\n"


@pytest.mark.parametrize("public", [{"RAILWAY_ENVIRONMENT": "production"}, {"RAILWAY_ENVIRONMENT_ID": "e1"},
                                    {"GRAFANA_PUBLIC": "true"}], ids=["railway", "railway-id", "public"])
@pytest.mark.parametrize("password", [None, "", "admin"], ids=["unset", "empty", "admin"])
def test_a_public_grafana_refuses_to_start_without_a_real_password(image, public, password):
    image.database.touch()
    env = dict(public) if password is None else {**public, "GF_SECURITY_ADMIN_PASSWORD": password}
    result, calls = image(env)
    assert (result.returncode, result.stderr, calls) == (2, REFUSAL, [])


def test_a_set_password_is_applied_at_every_start_before_the_server_runs(image):
    image.database.touch()
    env = {"RAILWAY_ENVIRONMENT": "production", "GF_SECURITY_ADMIN_PASSWORD": "s3cret pass"}
    for _ in range(2):  # every start, not only the first
        result, calls = image(env, "--some-server-flag")
        assert result.returncode == 0, result.stderr
        reset, server = calls
        assert reset == {"prog": "grafana", "stdin": "s3cret pass",
                         "args": ["cli", "--homepath", "/usr/share/grafana", "--config", "/etc/grafana/grafana.ini",
                                  "admin", "reset-admin-password", "--password-from-stdin"]}
        assert server == {"prog": "run.sh", "args": ["--some-server-flag"], "stdin": ""}
        assert "s3cret" not in result.stdout + result.stderr


def test_the_first_start_leaves_the_password_to_grafana_which_creates_the_admin_with_it(image):
    result, calls = image({"RAILWAY_ENVIRONMENT": "production", "GF_SECURITY_ADMIN_PASSWORD": "s3cret"})
    assert result.returncode == 0
    assert [c["prog"] for c in calls] == ["run.sh"]


def test_a_password_that_cannot_be_applied_stops_the_start(image):
    image.database.touch()
    result, calls = image({"GF_SECURITY_ADMIN_PASSWORD": "s3cret"}, cli_exit=1)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "grafana: could not apply GF_SECURITY_ADMIN_PASSWORD (grafana cli admin reset-admin-password failed)")
    assert [c["prog"] for c in calls] == ["grafana"], "the server must not start on the old password"


def test_a_local_grafana_without_a_password_starts_on_grafanas_default(image):
    image.database.touch()
    result, calls = image({})
    assert result.returncode == 0
    assert [c["prog"] for c in calls] == ["run.sh"]


@pytest.mark.parametrize("password", ["a", "1234", "éé"], ids=["1", "4", "4-bytes-2-chars"])
@pytest.mark.parametrize("first", [True, False], ids=["first-start", "later-start"])
def test_a_password_the_reset_would_call_weak_is_refused_before_any_start(image, password, first):
    """grafana cli refuses len(password) <= 4 (bytes, Go's len); the first start would have taken it."""
    if not first:
        image.database.touch()
    result, calls = image({"GF_SECURITY_ADMIN_PASSWORD": password})
    assert (result.returncode, calls) == (2, [])
    assert result.stderr == "grafana: GF_SECURITY_ADMIN_PASSWORD must be longer than 4 characters\n"


def test_a_five_byte_password_is_accepted(image):
    result, calls = image({"GF_SECURITY_ADMIN_PASSWORD": "12345"})
    assert result.returncode == 0 and [c["prog"] for c in calls] == ["run.sh"]
