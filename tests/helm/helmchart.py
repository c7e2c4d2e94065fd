"""The chart rendered by Helm's own engine (helm-python-sdk), its objects, and what it must cover."""

from __future__ import annotations

import importlib
import os

import pytest
import yaml

from tools import ROOT, SHARED, TOKEN

CHART = ROOT / "charts" / "sentry-exporter"
RULES_DIR = ROOT / "provisioning" / "prometheus" / "rules"
DASHBOARDS_DIR = ROOT / "dashboards" / "generated"
CRD_SCHEMAS = SHARED / "schemas" / "kubernetes"
# The newest Kubernetes whose schemas kubernetes-validate 1.37.0 ships (v1.37.0-local-strict).
KUBERNETES_VERSION = "1.37.0"
RELEASE, NAMESPACE = "sentry-exporter", "monitoring"

IMAGE = {"image": {"repository": "registry.example.com/sentry-exporter", "tag": "0.1.0"}}
REQUIRED = {**IMAGE, "authToken": TOKEN, "settings": {"SENTRY_ORG": "acme"}}


def require_module(name: str):
    """Import a test dependency; missing means fail under CI (never a silent skip), skip elsewhere."""
    try:
        return importlib.import_module(name)
    except ImportError:
        message = f"the Python package {name} is missing (run ./run-tests, which installs tests/requirements.txt)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


# The variants every structural test renders. Shards: two releases with disjoint projects and one
# token, rules and dashboards installed by the first only.
SHARD = {"count": 2, "sharedRequestsPerSecond": 4}
VARIANTS = {
    "defaults": REQUIRED,
    "existing-secret": {**IMAGE, "existingSecret": "sentry-token", "settings": {"SENTRY_ORG": "acme"}},
    "operator-off": merge(REQUIRED, {"serviceMonitor": {"enabled": False}, "rules": {"enabled": False}}),
    "network-policy": merge(REQUIRED, {"networkPolicy": {"enabled": True}, "settings": {
        "SENTRY_URL": "https://sentry.internal.example:8443", "LOKI_URL": "http://loki.logging:3100",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://tempo.tracing:4318"}}),
    "metrics-auth": merge(REQUIRED, {"metricsAuth": {"type": "bearer", "bearerToken": "scrape-secret-42"}}),
    "shard-a": merge(REQUIRED, {"shard": {**SHARD, "name": "a"},
                                "settings": {"SENTRY_PROJECTS": ["web-frontend", "api-backend"]}}),
    "shard-b": merge(REQUIRED, {"shard": {**SHARD, "name": "b"},
                                "settings": {"SENTRY_PROJECTS": ["connectors", "billing"]},
                                "rules": {"enabled": False}, "dashboards": {"enabled": False}}),
}
RELEASES = {"shard-a": "sentry-exporter-a", "shard-b": "sentry-exporter-b"}


def render(values: dict, name: str = RELEASE, namespace: str = NAMESPACE) -> list[dict]:
    """Every object the chart renders with `values`, NOTES.txt and empty documents left out."""
    helm = require_module("helm_python")
    manifests = helm.Chart.load(str(CHART)).render(values, name=name, namespace=namespace)
    objects = []
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects


def render_variant(variant: str) -> list[dict]:
    return render(VARIANTS[variant], name=RELEASES.get(variant, RELEASE))


def one(objects: list[dict], kind: str, name: str | None = None) -> dict:
    found = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {len(found)}"
    return found[0]


def container(objects: list[dict]) -> dict:
    (exporter,) = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return exporter


def env_names(objects: list[dict]) -> set[str]:
    return {e["name"] for e in container(objects)["env"]}


def exporter_settings() -> set[str]:
    """The exporter's settings by environment variable: one per row of its config table (config.py)."""
    from sentry_exporter import config
    return {row.env for row in config.SETTINGS.values()}


def exporter_variables() -> set[str]:
    """Every environment variable the exporter reads: the settings, their aliases and *_FILE forms."""
    from sentry_exporter import config
    return config.variables()


def rule_files() -> dict[str, dict]:
    """The promtool-tested rule files, parsed: {file name: {"groups": [...]}}."""
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(RULES_DIR.glob("*.rules.yml"))}
