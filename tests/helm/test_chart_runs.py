"""The rendered configuration really runs: the real exporter with the Deployment's env, command and
mounted files, against the simulator, answers its probes and lets the ServiceMonitor's credentials in."""

from __future__ import annotations

from helmchart import REQUIRED, merge, one, render
from podrun import Pod, secret_value
from tools import TOKEN, free_port, sample_values

QUERIES = [{"name": "errors", "query": "is:unresolved level:error"}]


def test_the_rendered_deployment_runs_against_the_simulator(make_sim, tmp_path):
    org, sim = make_sim()
    objects = render(merge(REQUIRED, {
        "service": {"port": free_port()},
        "queries": QUERIES,
        "metricsAuth": {"type": "bearer", "bearerToken": "scrape-secret-42"},
        "caBundle": {"pem": "-----BEGIN CERTIFICATE-----\nnot used over http\n-----END CERTIFICATE-----\n"},
        "settings": {"SENTRY_URL": "https://sentry.internal.example", "SENTRY_POLL_INTERVAL_SECONDS": 2},
    }))
    pod = Pod.start(objects, tmp_path, sim.url)
    try:
        assert "SENTRY_AUTH_TOKEN" not in pod.env and TOKEN not in str(pod.env)
        assert (tmp_path / pod.env["SENTRY_AUTH_TOKEN_FILE"].removeprefix(f"{tmp_path}/")).read_text() == TOKEN
        pod.wait_ready()
        assert pod.probe("livenessProbe").status_code == 200

        # The simulator accepts only TOKEN, which reached the exporter only as the mounted file.
        # Every request but the server-kind probe (GET /api/settings/, which Sentry redirects) answered 200.
        statuses = sim.requests_by_status()
        probes = [r for r in sim.requests() if r.path.startswith("/api/settings")]
        assert [r.status for r in probes] == [302] and statuses[200] > 0 and set(statuses) == {200, 302}, statuses

        endpoint = one(objects, "ServiceMonitor")["spec"]["endpoints"][0]
        port = next(p["port"] for p in one(objects, "Service")["spec"]["ports"] if p["name"] == endpoint["port"])
        bearer = secret_value(objects, endpoint["authorization"]["credentials"])
        assert pod.get(port, endpoint["path"]).status_code == 401
        scrape = pod.get(port, endpoint["path"], headers={"Authorization": f"Bearer {bearer}"})
        assert scrape.status_code == 200
        # The named query came from the mounted config file (EXPORTER_CONFIG).
        queries = {dict(labels)["query"] for labels in sample_values(scrape.text, "sentry_query_issues")}
        assert queries == {"errors"}
    finally:
        output = pod.stop()
    assert TOKEN not in output and "scrape-secret-42" not in output
