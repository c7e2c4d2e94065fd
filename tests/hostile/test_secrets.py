"""The Sentry token never leaves the process: not in logs, error messages, the config's repr or --once
output, even when a hostile server echoes it back in its error details."""

import subprocess

from badservers import Reply, json_reply
from sentry_exporter.config import load_config
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.errors import SentryError
from tools import EXPORTER, TOKEN, child_env, sample_values, wait_for


def echoing(status):
    """A server that puts whatever Authorization it got into its error detail and a Location header."""
    def script(server):
        def reply(name, params):
            header = server.seen[-1][1].get("Authorization", "")
            return Reply(status, json_reply({"detail": f"bad request from {header}"}).body,
                         {"Content-Type": "application/json", "Location": f"http://x.invalid/?{header}"})
        return reply
    return script


def test_config_repr_hides_every_secret(tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text("basic-pass-0142\n")
    config = load_config({"SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme", "EXPORTER_BASIC_AUTH_USER": "prom",
                          "EXPORTER_BASIC_AUTH_PASSWORD_FILE": str(password_file),
                          "EXPORTER_BEARER_TOKEN": "bearer-9931"})
    assert config.basic_auth_password == "basic-pass-0142"
    for text in (repr(config), str(config), f"{config}"):
        for secret in (TOKEN, "basic-pass-0142", "bearer-9931"):
            assert secret not in text


def test_echoed_token_never_reaches_an_exception(scripted):
    for status in (400, 401, 500, 302):
        server = scripted()
        server.script = echoing(status)(server)
        client = SentryClient(server.url, TOKEN, max_attempts=2, sleep=lambda s: None)
        try:
            client.get_json("issues", "organizations/acme/issues/")
        except SentryError as e:
            assert TOKEN not in str(e) and TOKEN not in repr(e), status
        else:
            raise AssertionError(f"HTTP {status} must raise")
        finally:
            client.close()
        assert any(TOKEN in headers.get("Authorization", "") for _, headers in server.seen), "the server did get it"


def test_process_logs_hold_no_token_even_when_echoed(make_exporter, scripted):
    server = scripted()
    server.script = echoing(400)(server)
    exporter = make_exporter(server.url, LOG_LEVEL="debug")
    wait_for(lambda: sample_values(exporter.metrics(), "sentry_poll_success").get((("org", "acme"), ("poller", "issues"))) == 0.0,
             20, what="a failed poll")
    _, err = exporter.stop()
    assert "bad request from Bearer [redacted]" in err, err[-1000:]  # the detail is logged, the token masked
    assert TOKEN not in err  # (make_exporter checks stdout and stderr again on teardown)


def test_once_output_holds_no_token(scripted):
    server = scripted()
    server.script = echoing(401)(server)
    env = child_env(SENTRY_URL=server.url, SENTRY_AUTH_TOKEN=TOKEN, SENTRY_ORG="acme", LOG_LEVEL="debug",
                    SENTRY_TIMEOUT_SECONDS="1")
    proc = subprocess.run([EXPORTER, "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert 'sentry_up{org="acme"} 0.0' in proc.stdout
    assert "rejected the token" in proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr
