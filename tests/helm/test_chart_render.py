"""The chart, rendered by Helm's own engine: valid objects for Kubernetes and the Prometheus Operator,
every exporter setting reachable, the rule files and dashboards embedded unchanged."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from helmchart import (CHART, CRD_SCHEMAS, DASHBOARDS_DIR, IMAGE, KUBERNETES_VERSION, NAMESPACE, REQUIRED, VARIANTS,
                       container, env_names, exporter_settings, exporter_variables, merge, one, render, render_variant,
                       require_module, rule_files)
from tools import TOKEN, require_tool

CORE_KINDS = {"Deployment", "Service", "Secret", "ConfigMap", "NetworkPolicy"}
CRDS = {"ServiceMonitor": "servicemonitor", "PrometheusRule": "prometheusrule"}


# ------------------------------------------------------------------------------------- helm itself

def test_lint_reports_no_errors_or_warnings():
    helm = require_module("helm_python")
    report = helm.lint(str(CHART), REQUIRED, strict=True, kube_version=f"v{KUBERNETES_VERSION}")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("values, message", [
    ({"authToken": TOKEN}, "image.repository and image.tag are required: build and push exporter/Dockerfile"),
    ({"image": {"repository": "r"}, "authToken": TOKEN}, "image.repository and image.tag are required"),
    (IMAGE, "a Sentry token is required: set existingSecret"),
    (merge(REQUIRED, {"shard": {"name": "a"}}), "shard.name is set: give this shard its own settings.SENTRY_PROJECTS"),
    (merge(REQUIRED, {"rules": {"thresholds": {"no_such_threshold": 1}}}), "rules.thresholds.no_such_threshold"),
    (merge(REQUIRED, {"metricsAuth": {"type": "bearer"}}), "metricsAuth.type is bearer: set metricsAuth.bearerToken"),
])
def test_bad_values_stop_the_render_with_one_clear_line(values, message):
    helm = require_module("helm_python")
    with pytest.raises(helm.HelmRenderError) as error:
        render(values)
    assert message in str(error.value)
    assert "\n" not in str(error.value).strip()


@pytest.mark.parametrize("name", ["SENTRY_NO_SUCH_SETTING", "SENTRY_AUTH_TOKEN", "EXPORTER_PORT"])
def test_unknown_and_chart_wired_settings_are_refused_by_the_values_schema(name):
    helm = require_module("helm_python")
    with pytest.raises(helm.HelmValuesError, match=f"additional properties '{name}' not allowed"):
        render(merge(REQUIRED, {"settings": {name: "1"}}))


# --------------------------------------------------------------------------------- object validity

def unknown_keys(value, schema: dict, path: str = "") -> list[str]:
    """Keys the schema does not declare: the operator's CRD schemas leave additionalProperties open."""
    problems = []
    if isinstance(value, dict) and "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        for key, item in value.items():
            if key not in schema["properties"]:
                problems.append(f"{path}.{key}")
            else:
                problems += unknown_keys(item, schema["properties"][key], f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += unknown_keys(item, schema["items"], f"{path}[{i}]")
    return problems


def validate_custom_resource(obj: dict) -> None:
    jsonschema = require_module("jsonschema")
    kubernetes_validate = require_module("kubernetes_validate")
    schema = json.loads((CRD_SCHEMAS / f"{CRDS[obj['kind']]}-monitoring.coreos.com-v1.schema.json").read_text())
    assert obj["apiVersion"] == "monitoring.coreos.com/v1"
    jsonschema.validate(obj, schema)
    assert unknown_keys(obj, schema) == [], f"{obj['kind']} has keys its CRD does not know"
    # The CRD schema leaves metadata open: check it as the ObjectMeta it is.
    kubernetes_validate.validate({"apiVersion": "v1", "kind": "ConfigMap", "metadata": obj["metadata"]},
                                 KUBERNETES_VERSION, strict=True)
    if obj["kind"] == "PrometheusRule":
        groups = obj["spec"]["groups"]
        assert len({g["name"] for g in groups}) == len(groups), "two rule groups share a name"
        for group in groups:
            names = [r.get("alert") or r["record"] for r in group["rules"]]
            # Alerts may repeat a name on purpose (one alert, several conditions); a group's
            # rules must still be distinguishable, so each (name, labels) pair is unique.
            keys = [(n, json.dumps(r.get("labels", {}), sort_keys=True)) for n, r in zip(names, group["rules"])]
            assert len(set(keys)) == len(keys), f"group {group['name']} repeats a rule"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_rendered_object_is_valid(variant):
    kubernetes_validate = require_module("kubernetes_validate")
    objects = render_variant(variant)
    assert objects
    for obj in objects:
        if obj["kind"] in CORE_KINDS:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        elif obj["kind"] in CRDS:
            validate_custom_resource(obj)
        else:
            pytest.fail(f"the test does not know how to validate a {obj['kind']}")


# ---------------------------------------------------------------------------------------- exporter

def test_deployment_runs_one_hardened_pod_with_probes():
    objects = render_variant("defaults")
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    exporter = container(objects)
    assert exporter["securityContext"]["readOnlyRootFilesystem"] is True
    assert exporter["securityContext"]["allowPrivilegeEscalation"] is False
    assert exporter["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert set(exporter["resources"]) == {"requests", "limits"}
    assert exporter["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert exporter["readinessProbe"]["httpGet"]["path"] == "/readyz"


@pytest.mark.parametrize("variant", ["defaults", "existing-secret"])
def test_the_token_is_a_mounted_file_never_an_environment_value(variant):
    objects = render_variant(variant)
    exporter = container(objects)
    assert "SENTRY_AUTH_TOKEN" not in env_names(objects)
    assert all(TOKEN not in json.dumps(e) for e in exporter["env"])
    token_file = next(e["value"] for e in exporter["env"] if e["name"] == "SENTRY_AUTH_TOKEN_FILE")
    mount = next(m for m in exporter["volumeMounts"] if token_file.startswith(m["mountPath"] + "/"))
    volume = next(v for v in one(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
                  if v["name"] == mount["name"])
    secret_name = "sentry-token" if variant == "existing-secret" else "sentry-exporter"
    assert volume["secret"]["secretName"] == secret_name
    if variant == "existing-secret":
        assert not [o for o in objects if o["kind"] == "Secret"], "the chart made a Secret next to the existing one"
    else:
        assert one(objects, "Secret")["stringData"]["sentry-auth-token"] == TOKEN


# How to reach the settings the chart wires itself, and the variable that proves it did.
WIRED = {
    "SENTRY_AUTH_TOKEN": ({}, "SENTRY_AUTH_TOKEN_FILE"),
    "SENTRY_QUERIES": ({"queries": [{"name": "web", "query": "is:unresolved"}]}, "EXPORTER_CONFIG"),
    "SENTRY_CA_BUNDLE": ({"caBundle": {"pem": "-----BEGIN CERTIFICATE-----\n"}}, "SENTRY_CA_BUNDLE"),
    "EXPORTER_PORT": ({"service": {"port": 9000}}, "EXPORTER_PORT"),
    "EXPORTER_BEARER_TOKEN": ({"metricsAuth": {"type": "bearer", "bearerToken": "b"}}, "EXPORTER_BEARER_TOKEN_FILE"),
    "EXPORTER_BASIC_AUTH_USER": ({"metricsAuth": {"type": "basic", "basicAuthUser": "u", "basicAuthPassword": "p"}},
                                 "EXPORTER_BASIC_AUTH_USER"),
    "EXPORTER_BASIC_AUTH_PASSWORD": ({"metricsAuth": {"type": "basic", "basicAuthUser": "u",
                                                      "basicAuthPassword": "p"}}, "EXPORTER_BASIC_AUTH_PASSWORD_FILE"),
    "OTEL_EXPORTER_OTLP_HEADERS": ({"otlpHeaders": "authorization=Basic%20eHl6"}, "OTEL_EXPORTER_OTLP_HEADERS"),
}


def test_values_list_exactly_the_exporter_settings_the_chart_does_not_wire():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    table = exporter_settings()
    assert set(schema["properties"]["settings"]["properties"]) <= table, "values.schema.json names a non-setting"
    assert set(WIRED) <= table, "the chart wires a setting the exporter no longer has"
    assert table - set(WIRED) <= set(values["settings"]), "a setting of the config table is out of reach"
    assert set(values["settings"]) == set(schema["properties"]["settings"]["properties"])
    assert not set(values["settings"]) & set(WIRED), "a chart-wired setting is also a plain value"


def test_the_chart_sets_only_variables_the_exporter_reads():
    variants = [render_variant(v) for v in VARIANTS] + [render(merge(REQUIRED, extra)) for extra, _ in WIRED.values()]
    rendered = {name for objects in variants for name in env_names(objects)}
    assert rendered - exporter_variables() == set()


@pytest.mark.parametrize("name", sorted(exporter_settings()))
def test_every_exporter_setting_is_reachable_through_values(name):
    extra, variable = WIRED.get(name, ({"settings": {name: "x"}}, name))
    objects = render(merge(REQUIRED, extra))
    assert variable in env_names(objects)
    if name == "SENTRY_QUERIES":
        config = yaml.safe_load(one(objects, "ConfigMap", "sentry-exporter")["data"]["config.yaml"])
        assert config == {"sentry_queries": extra["queries"]}


def test_numbers_and_lists_become_the_strings_the_exporter_parses():
    objects = render(merge(REQUIRED, {"settings": {"SENTRY_MAX_ISSUES": 10_000_000, "SENTRY_TIMEOUT_SECONDS": 2.5,
                                                   "SENTRY_PROJECTS": ["web", "api"], "SENTRY_DEMO": False}}))
    env = {e["name"]: e.get("value") for e in container(objects)["env"]}
    assert (env["SENTRY_MAX_ISSUES"], env["SENTRY_TIMEOUT_SECONDS"]) == ("10000000", "2.5")
    assert (env["SENTRY_PROJECTS"], env["SENTRY_DEMO"]) == ("web,api", "false")


# ---------------------------------------------------------------------------------------- scraping

def test_service_monitor_sets_the_rules_job_and_the_release_label():
    objects = render(merge(REQUIRED, {"job": "sentry-org", "serviceMonitor": {"additionalLabels": {"release": "kps"}},
                                      "rules": {"additionalLabels": {"release": "kps"}}}))
    monitor, service = one(objects, "ServiceMonitor"), one(objects, "Service")
    assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "sentry-org"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    assert monitor["metadata"]["labels"]["release"] == "kps"
    assert one(objects, "PrometheusRule")["metadata"]["labels"]["release"] == "kps"
    assert "targetLabels" not in monitor["spec"]
    assert "annotations" not in service["metadata"], "annotation scraping next to a ServiceMonitor scrapes twice"


def test_metrics_auth_reaches_the_service_monitor_from_the_same_secret():
    objects = render_variant("metrics-auth")
    credentials = one(objects, "ServiceMonitor")["spec"]["endpoints"][0]["authorization"]
    assert credentials["type"] == "Bearer"
    secret = one(objects, "Secret")
    assert credentials["credentials"]["name"] == secret["metadata"]["name"]
    assert secret["stringData"][credentials["credentials"]["key"]] == "scrape-secret-42"
    assert "EXPORTER_BEARER_TOKEN" not in env_names(objects)


def test_without_the_operator_the_service_carries_scrape_annotations():
    objects = render_variant("operator-off")
    assert {o["kind"] for o in objects} & set(CRDS) == set()
    service = one(objects, "Service")
    annotations = service["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(service["spec"]["ports"][0]["port"])
    assert annotations["prometheus.io/path"] == "/metrics"


def test_network_policy_admits_prometheus_and_lets_out_only_dns_sentry_and_telemetry():
    objects = render_variant("network-policy")
    policy = one(objects, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["ingress"]
    assert ingress["from"][0]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    assert ingress["ports"] == [{"port": "http", "protocol": "TCP"}]
    ports = [sorted(p["port"] for p in rule["ports"]) for rule in policy["egress"]]
    assert ports == [[53, 53], [8443], [3100], [4318]]  # DNS, SENTRY_URL's port, LOKI_URL, OTLP
    assert [b["ipBlock"]["cidr"] for b in policy["egress"][1]["to"]] == ["0.0.0.0/0", "::/0"]
    default = one(render(merge(REQUIRED, {"networkPolicy": {"enabled": True}})), "NetworkPolicy")["spec"]
    assert [[p["port"] for p in rule["ports"]] for rule in default["egress"]] == [[53, 53], [443]]


# ------------------------------------------------------------------------------------------- rules

def rendered_groups(objects: list[dict]) -> dict[str, dict]:
    return {g["name"]: g for g in one(objects, "PrometheusRule")["spec"]["groups"]}


def file_groups() -> dict[str, dict]:
    return {g["name"]: g for doc in rule_files().values() for g in doc["groups"]}


def test_at_default_values_every_group_equals_its_rule_file():
    rendered = rendered_groups(render_variant("defaults"))
    files = file_groups()
    assert list(rendered) == [g["name"] for doc in rule_files().values() for g in doc["groups"]]
    for name, group in files.items():
        assert rendered[name] == group, f"group {name} differs from its rule file"


def test_promtool_accepts_the_rendered_rules(tmp_path):
    promtool = require_tool("promtool")
    for variant in ("defaults", "shard-a"):
        path = tmp_path / f"{variant}.rules.yml"
        path.write_text(yaml.safe_dump({"groups": one(render_variant(variant), "PrometheusRule")["spec"]["groups"]}))
        result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_job_selector_and_the_config_group_follow_values():
    objects = render(merge(REQUIRED, {"job": "sentry-org", "rules": {
        "runbookBaseUrl": "https://wiki.example/sentry", "thresholds": {"data_stale_seconds": 1800},
        "extraConfigRules": [{"record": "config:sentry_alert_threshold:value", "expr": "vector(9)",
                              "labels": {"threshold": "issue_high_impact", "tag": "tenant_id"}}]}}))
    rendered, files = rendered_groups(objects), file_groups()
    for name, group in files.items():
        if name != "sentry-config":
            assert rendered[name] == group, f"group {name} follows values; only sentry-config may"
    # The job is set in one place: no rule selects it by itself.
    assert not [r for g in rendered.values() for r in g["rules"] if "job=" in r["expr"].replace(" ", "")]
    config, original = rendered["sentry-config"]["rules"], files["sentry-config"]["rules"]
    assert config[-1]["labels"] == {"threshold": "issue_high_impact", "tag": "tenant_id"}
    changed = [new for new, old in zip(config, original) if new != old]
    assert len(changed) == 3 and len(config) == len(original) + 1
    changed = {rule["record"]: rule for rule in changed}
    assert changed.keys() == {"config:sentry_exporter_job:info", "config:sentry_alerting:info",
                              "config:sentry_alert_threshold:value"}
    assert changed["config:sentry_exporter_job:info"]["labels"] == {"job": "sentry-org"}
    assert changed["config:sentry_alerting:info"]["labels"]["runbook_base_url"] == "https://wiki.example/sentry"
    assert changed["config:sentry_alert_threshold:value"]["expr"] == "vector(1800)"


# -------------------------------------------------------------------------------------- dashboards

def test_dashboards_are_sidecar_config_maps_holding_the_generated_json():
    objects = render(merge(REQUIRED, {"dashboards": {"namespace": "grafana"}}))
    maps = [o for o in objects if o["kind"] == "ConfigMap" and "grafana_dashboard" in o["metadata"]["labels"]]
    files = {p.name: p.read_text(encoding="utf-8") for p in DASHBOARDS_DIR.glob("*.json")}
    assert {name for m in maps for name in m["data"]} == set(files)
    for config_map in maps:
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert config_map["metadata"]["namespace"] == "grafana"
        ((name, text),) = config_map["data"].items()
        assert text == files[name]
    default = [o for o in render_variant("defaults") if o["kind"] == "ConfigMap"]
    assert {o["metadata"]["namespace"] for o in default} == {NAMESPACE}


# ---------------------------------------------------------------------------------------- sharding

def test_shards_share_the_job_split_the_projects_and_the_request_budget():
    shards = {v: render_variant(v) for v in ("shard-a", "shard-b")}
    envs = {v: {e["name"]: e.get("value") for e in container(o)["env"]} for v, o in shards.items()}
    projects = [set(env["SENTRY_PROJECTS"].split(",")) for env in envs.values()]
    assert projects[0] and projects[1] and not projects[0] & projects[1]
    shares = [float(env["SENTRY_MAX_REQUESTS_PER_SECOND"]) for env in envs.values()]
    assert shares == [2.0, 2.0] and sum(shares) == VARIANTS["shard-a"]["shard"]["sharedRequestsPerSecond"]
    jobs, shard_labels = set(), []
    for objects in shards.values():
        monitor, service = one(objects, "ServiceMonitor"), one(objects, "Service")
        jobs.add(service["metadata"]["labels"][monitor["spec"]["jobLabel"]])
        assert monitor["spec"]["targetLabels"] == ["shard"]
        shard_labels.append(service["metadata"]["labels"]["shard"])
    assert jobs == {"sentry-exporter"} and shard_labels == ["a", "b"]
    kinds_b = {o["kind"] for o in shards["shard-b"]}
    assert "PrometheusRule" not in kinds_b
    assert not [o for o in shards["shard-b"] if "grafana_dashboard" in o["metadata"]["labels"]]
    names = [{o["metadata"]["name"] for o in objects} for objects in shards.values()]
    assert not names[0] & names[1], "two releases in one namespace would fight over an object"
