"""Configuration: every bad value is one clear line naming the variable, and exit code 2."""

import subprocess

import pytest

from sentry_exporter.config import DEFAULT_PORT, ConfigError, load_config
from tools import EXPORTER, child_env

BASE = {"SENTRY_AUTH_TOKEN": "sntrys_abc", "SENTRY_ORG": "acme"}


def test_defaults_and_overrides():
    c = load_config(BASE)
    assert (c.sentry_url, c.org, c.issues_period, c.poll_interval, c.port, c.host) == \
        ("https://sentry.io", "acme", "14d", 60.0, DEFAULT_PORT, "::")
    c = load_config({**BASE, "SENTRY_INTERNAL_URL": "http://sentry.railway.internal:9000/",
                     "SENTRY_PROJECTS": "web, api,web", "PORT": "1234"})
    assert c.sentry_url == "http://sentry.railway.internal:9000"
    assert c.projects == ("web", "api")
    assert c.port == 1234  # PORT is used when EXPORTER_PORT is unset (Railway)
    c = load_config({**BASE, "SENTRY_URL": "https://a.example", "SENTRY_INTERNAL_URL": "https://b.example",
                     "PORT": "1234", "EXPORTER_PORT": "4321"})
    assert (c.sentry_url, c.port) == ("https://a.example", 4321)


def test_token_never_in_repr():
    c = load_config({**BASE, "SENTRY_AUTH_TOKEN": "sntrys_supersecret"})
    assert "supersecret" not in repr(c)


def test_token_from_file(tmp_path):
    f = tmp_path / "token"
    f.write_text("sntrys_fromfile\n")
    assert load_config({"SENTRY_ORG": "acme", "SENTRY_AUTH_TOKEN_FILE": str(f)}).token == "sntrys_fromfile"
    with pytest.raises(ConfigError, match="SENTRY_AUTH_TOKEN_FILE"):
        load_config({"SENTRY_ORG": "acme", "SENTRY_AUTH_TOKEN_FILE": str(tmp_path / "missing")})
    with pytest.raises(ConfigError, match="not both"):
        load_config({**BASE, "SENTRY_AUTH_TOKEN_FILE": str(f)})


def test_yaml_file_with_environment_on_top(tmp_path):
    f = tmp_path / "c.yml"
    f.write_text("sentry_org: fromfile\nsentry_poll_interval_seconds: 30\nsentry_queries:\n"
                 "  - {name: fatal, query: 'is:unresolved level:fatal'}\nsentry_quota_budgets: {error: 1000}\n"
                 "loki_url: http://loki:3100\notel_exporter_otlp_headers: X-Scope-OrgID=team\n")
    c = load_config({"SENTRY_AUTH_TOKEN": "t", "SENTRY_POLL_INTERVAL_SECONDS": "15"}, str(f))
    assert (c.org, c.poll_interval, c.queries[0].query, c.quota_budgets) == \
        ("fromfile", 15.0, "is:unresolved level:fatal", (("error", 1000),))
    assert (c.loki_url, c.otlp_headers) == ("http://loki:3100", (("X-Scope-OrgID", "team"),))


@pytest.mark.parametrize("env, needle", [
    ({"SENTRY_ORG": "acme"}, "SENTRY_AUTH_TOKEN"),
    ({"SENTRY_AUTH_TOKEN": "t"}, "SENTRY_ORG"),
    ({**BASE, "SENTRY_URL": "ftp://x"}, "SENTRY_URL"),
    ({**BASE, "SENTRY_URL": "https://user:pw@sentry.io"}, "SENTRY_URL"),
    ({**BASE, "SENTRY_ISSUES_PERIOD": "14 days"}, "SENTRY_ISSUES_PERIOD"),
    ({**BASE, "SENTRY_POLL_INTERVAL_SECONDS": "soon"}, "SENTRY_POLL_INTERVAL_SECONDS"),
    ({**BASE, "EXPORTER_PORT": "70000"}, "EXPORTER_PORT"),
    ({**BASE, "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ({**BASE, "SENTRY_AUTH_TOKEN": "two words"}, "SENTRY_AUTH_TOKEN"),
    ({**BASE, "SENTRY_QUOTA_BUDGETS": "error"}, "SENTRY_QUOTA_BUDGETS"),
    ({**BASE, "EXPORTER_BASIC_AUTH_USER": "u"}, "EXPORTER_BASIC_AUTH_PASSWORD"),
])
def test_bad_values_name_the_variable(env, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config(env)


def test_unknown_or_broken_file(tmp_path):
    f = tmp_path / "c.yml"
    f.write_text("sentry_ogr: typo\n")
    with pytest.raises(ConfigError, match="unknown setting 'sentry_ogr'"):
        load_config(BASE, str(f))
    f.write_text("a: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(BASE, str(f))


def test_demo_needs_no_token():
    assert load_config({"SENTRY_DEMO": "1"}).demo
    assert load_config({}, demo=True).demo


@pytest.mark.parametrize("env, args, needle", [
    ({}, (), "SENTRY_AUTH_TOKEN is not set"),
    ({"SENTRY_AUTH_TOKEN": "sntrys_secret123", "SENTRY_ORG": "acme", "EXPORTER_PORT": "x"}, (), "EXPORTER_PORT"),
    ({}, ("--bogus",), "unrecognized arguments"),
])
def test_cli_bad_input_is_one_line_and_exit_2(env, args, needle):
    proc = subprocess.run([EXPORTER, *args], env=child_env(**env), capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and "secret123" not in proc.stderr


def test_ca_bundle_must_be_readable(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert load_config({**BASE, "SENTRY_CA_BUNDLE": str(bundle)}).ca_bundle == str(bundle)
    with pytest.raises(ConfigError, match="SENTRY_CA_BUNDLE: cannot read"):
        load_config({**BASE, "SENTRY_CA_BUNDLE": str(tmp_path / "missing.pem")})


@pytest.mark.parametrize("content, needle", [
    ("\ufeffsntryu_secret123\n".encode(), "U+FEFF (a byte-order mark"),   # Notepad's "UTF-8 with BOM"
    (b"sntryu_secret123\x00", "character 17 is U+0000"),
    ("sntryu_secret123\u2013x".encode(), "character 17 is U+2013"),       # an en dash pasted from a document
])
def test_a_token_that_cannot_go_in_a_header_is_refused_at_start(tmp_path, content, needle):
    token_file = tmp_path / "token"
    token_file.write_bytes(content)
    proc = subprocess.run([EXPORTER], env={"PATH": "/usr/bin:/bin", "SENTRY_AUTH_TOKEN_FILE": str(token_file),
                                           "SENTRY_ORG": "acme"}, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "SENTRY_AUTH_TOKEN must be printable ASCII" in lines[0] and needle in lines[0], \
        proc.stderr
    assert "Traceback" not in proc.stderr and "secret123" not in proc.stderr
