"""/metrics protection: basic auth or a bearer token (each also from a file), compared in constant time;
/healthz and /readyz stay open for orchestrators; Prometheus' scrape job can send the token."""

import ast
import base64
import inspect
import textwrap

import requests
import yaml

from sentry_exporter import server
from tools import ROOT, wait_for


def status(exporter, path="/metrics", **headers):
    return requests.get(f"{exporter.url}{path}", headers=headers, timeout=5).status_code


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_auth_and_bearer_from_files(make_sim, make_exporter, tmp_path):
    _, sim = make_sim()
    (tmp_path / "password").write_text("pa:sswörd-77\n")  # a colon and non-ASCII: both legal in a password
    (tmp_path / "bearer").write_text("scrape-bearer-5521\n")
    exporter = make_exporter(sim.url, EXPORTER_BASIC_AUTH_USER="prometheus",
                             EXPORTER_BASIC_AUTH_PASSWORD_FILE=str(tmp_path / "password"),
                             EXPORTER_BEARER_TOKEN_FILE=str(tmp_path / "bearer"))
    wait_for(lambda: status(exporter, "/readyz") == 200, 30, what="ready without credentials")
    assert status(exporter, "/healthz") == 200
    assert status(exporter) == 401
    response = requests.get(f"{exporter.url}/metrics", timeout=5)
    assert response.headers["WWW-Authenticate"].startswith("Basic") and b"sentry_up" not in response.content
    for wrong in (basic("prometheus", "pa:sswörd-7"), basic("prometheus", "pa:sswörd-777"), basic("other", "x"),
                  "Bearer scrape-bearer-552", "Bearer scrape-bearer-55211", "scrape-bearer-5521", "Bearer ", ""):
        assert status(exporter, Authorization=wrong) == 401, wrong
    assert status(exporter, Authorization=basic("prometheus", "pa:sswörd-77")) == 200
    assert status(exporter, Authorization="Bearer scrape-bearer-5521") == 200
    text = requests.get(f"{exporter.url}/metrics", headers={"Authorization": "Bearer scrape-bearer-5521"},
                        timeout=5).text
    assert 'sentry_up{org="acme"} 1.0' in text
    assert "scrape-bearer-5521" not in text and "pa:sswörd-77" not in text


def test_bearer_from_the_environment(make_sim, make_exporter):
    _, sim = make_sim()
    exporter = make_exporter(sim.url, EXPORTER_BEARER_TOKEN="env-bearer-0001")
    wait_for(lambda: status(exporter, "/healthz") == 200, 30, what="listening")
    assert status(exporter) == 401
    assert status(exporter, Authorization="Bearer env-bearer-0001") == 200


def test_credentials_are_compared_in_constant_time():
    """Timing cannot be measured reliably in a test, so check the code: every comparison of what the
    client sent goes through hmac.compare_digest, and nothing compares it with == or startswith."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(server.Access.allows)))
    calls = [ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert "hmac.compare_digest" in calls
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Compare)
                and any(isinstance(op, (ast.Eq, ast.NotEq, ast.In)) for op in n.ops)]
    assert not any(c.endswith(("startswith", "endswith", "find")) for c in calls)
    access = server.Access("u", "p", "b")
    assert access.allows(basic("u", "p")) and access.allows("Bearer b")
    assert not access.allows(None) and not access.allows("Bearer b ") and not access.allows(basic("u", "p "))


def test_prometheus_scrape_job_can_send_the_token():
    config = yaml.safe_load((ROOT / "provisioning/prometheus/prometheus.yml").read_text())
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "sentry-exporter")
    auth = job.get("authorization") or {}
    assert auth.get("type", "Bearer") == "Bearer" and auth.get("credentials_file"), job
    entrypoint = (ROOT / "provisioning/prometheus/entrypoint.sh").read_text()
    assert "EXPORTER_BEARER_TOKEN" in entrypoint and auth["credentials_file"].rsplit("/", 1)[1] in entrypoint
    docs = (ROOT / "docs/exporter.md").read_text() + (ROOT / "docs/stack.md").read_text()
    assert "EXPORTER_BEARER_TOKEN" in docs and "EXPORTER_BASIC_AUTH_USER" in docs
