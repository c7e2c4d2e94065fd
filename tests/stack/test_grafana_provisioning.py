"""Grafana provisioning: documented keys only (Grafana ignores typos silently), fixed uids, and
correlations that point at each other and match what the exporter really sends."""

from __future__ import annotations

import io
import json
import logging
import re

from keyschema import ANY, unknown_keys
from stackfiles import DATASOURCE_UIDS, GRAFANA_DIR, ROOT, datasources, dockerfile_env, dockerfile_instructions, load_yaml

# Key lists from ../shared/schemas/grafana-provisioning-notes.md (Grafana's provisioning structs
# and datasource docs). The Alertmanager keys come from Grafana's Alertmanager datasource docs
# ("implementation": mimir|cortex|prometheus, "handleGrafanaManagedAlerts").
HTTP_COMMON = {k: None for k in ("tlsAuth", "tlsAuthWithCACert", "tlsSkipVerify", "serverName", "timeout",
                                 "keepCookies")}
TAGS = [{"key": None, "value": None}]
JSON_DATA = {
    "prometheus": {**HTTP_COMMON, **{k: None for k in (
        "httpMethod", "timeInterval", "customQueryParameters", "manageAlerts", "alertmanagerUid", "prometheusType",
        "prometheusVersion", "cacheLevel", "incrementalQuerying", "incrementalQueryOverlapWindow",
        "disableRecordingRules", "allowAsRecordingRulesTarget")},
        "exemplarTraceIdDestinations": [{"name": None, "datasourceUid": None, "url": None, "urlDisplayLabel": None}]},
    "loki": {**HTTP_COMMON, "maxLines": None, "derivedFields": [
        {k: None for k in ("name", "matcherRegex", "matcherType", "url", "datasourceUid", "urlDisplayLabel",
                           "targetBlank")}]},
    "tempo": {**HTTP_COMMON,
              "tracesToLogsV2": {k: None for k in ("datasourceUid", "spanStartTimeShift", "spanEndTimeShift",
                                                   "filterByTraceID", "filterBySpanID", "customQuery", "query")}
              | {"tags": TAGS},
              "tracesToMetrics": {"datasourceUid": None, "spanStartTimeShift": None, "spanEndTimeShift": None,
                                  "tags": TAGS, "queries": [{"name": None, "query": None}]},
              "tracesToProfiles": {k: None for k in ("datasourceUid", "profileTypeId", "customQuery", "query")}
              | {"tags": TAGS},
              "serviceMap": {"datasourceUid": None}, "nodeGraph": {"enabled": None}, "search": {"hide": None},
              "traceQuery": {"timeShiftEnabled": None, "spanStartTimeShift": None, "spanEndTimeShift": None},
              "spanBar": {"type": None, "tag": None}, "streamingEnabled": {"search": None, "metrics": None},
              "tagLimit": None, "timeRangeForTags": None},
    "alertmanager": {**HTTP_COMMON, "implementation": None, "handleGrafanaManagedAlerts": None},
    "grafana-sentry-datasource": {"url": None, "orgSlug": None},
}
SECURE_JSON_DATA = {"grafana-sentry-datasource": {"authToken": None}}
DATASOURCE = {k: None for k in ("name", "type", "access", "orgId", "uid", "url", "user", "database", "basicAuth",
                                "basicAuthUser", "withCredentials", "isDefault", "version", "editable")}
DATASOURCE |= {"correlations": ANY}
PROVIDER = {k: None for k in ("name", "orgId", "folder", "folderUid", "type", "disableDeletion",
                              "updateIntervalSeconds", "allowUiUpdates", "editable")}
PROVIDER |= {"options": {"path": None, "foldersFromFilesStructure": None}}
GRAFANA_DOCKERFILE = GRAFANA_DIR / "Dockerfile"


def by_uid() -> dict[str, dict]:
    return {d["uid"]: d for d in datasources()["datasources"]}


def test_datasources_file_uses_only_documented_keys():
    config = datasources()
    assert config["apiVersion"] == 1  # 0 or missing selects the deprecated snake_case schema
    problems = unknown_keys(config, {"apiVersion": None, "prune": None, "deleteDatasources": ANY,
                                     "datasources": [DATASOURCE | {"jsonData": ANY, "secureJsonData": ANY}]})
    for ds in config["datasources"]:
        problems += unknown_keys(ds.get("jsonData", {}), JSON_DATA[ds["type"]], f"{ds['uid']}.jsonData")
        problems += unknown_keys(ds.get("secureJsonData", {}), SECURE_JSON_DATA.get(ds["type"], {}),
                                 f"{ds['uid']}.secureJsonData")
    assert problems == []


def test_datasources_have_the_fixed_uids_and_one_default():
    assert set(by_uid()) == DATASOURCE_UIDS
    assert [d["uid"] for d in datasources()["datasources"] if d.get("isDefault")] == ["prometheus"]
    assert by_uid()["alertmanager"]["jsonData"]["implementation"] == "prometheus"


def test_every_datasource_reference_names_a_provisioned_uid():
    refs = []

    def walk(node):
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k in ("datasourceUid", "alertmanagerUid"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(datasources())
    assert len(refs) >= 7 and set(refs) <= DATASOURCE_UIDS


def test_correlations_are_wired_both_ways():
    ds = by_uid()
    exemplar_labels = {e["name"]: e["datasourceUid"] for e in ds["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]}
    assert exemplar_labels["trace_id"] == "tempo"
    (derived,) = ds["loki"]["jsonData"]["derivedFields"]
    assert derived["name"] == "trace_id" and derived["datasourceUid"] == "tempo"
    assert derived["url"] == "$${__value.raw}"
    tempo = ds["tempo"]["jsonData"]
    assert tempo["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert tempo["tracesToMetrics"]["datasourceUid"] == "prometheus"
    assert tempo["serviceMap"]["datasourceUid"] == "prometheus"
    # The doc warns that zero time shifts can find no logs.
    assert tempo["tracesToLogsV2"]["spanStartTimeShift"].startswith("-")


def test_dollar_signs_are_either_escaped_or_name_a_variable_the_image_sets():
    values = []

    def walk(node):
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            values.append(node)

    walk(datasources())  # Grafana expands variables in values only
    text = "\n".join(values)
    image_env = dockerfile_env(GRAFANA_DOCKERFILE)
    for match in re.finditer(r"(?<!\$)\$(?!\$)(\{?)([A-Za-z_][A-Za-z0-9_]*)", text):
        assert match.group(1) == "{", f"write ${{{match.group(2)}}}"
        assert match.group(2) in image_env, f"${{{match.group(2)}}} is not set by the Grafana image"
    assert not re.search(r"(?<!\$)\$\{?__", text), "Grafana's own $__ macros must be written $$__"
    for name in ("PROMETHEUS_URL", "LOKI_URL", "TEMPO_URL", "ALERTMANAGER_URL", "SENTRY_URL", "SENTRY_ORG",
                 "SENTRY_AUTH_TOKEN"):
        assert "${" + name + "}" in text, name


def test_sentry_datasource_takes_url_org_and_token_from_the_environment():
    sentry = by_uid()["sentry"]
    assert sentry["type"] == "grafana-sentry-datasource"
    assert sentry["jsonData"] == {"url": "${SENTRY_URL}", "orgSlug": "${SENTRY_ORG}"}
    assert sentry["secureJsonData"] == {"authToken": "${SENTRY_AUTH_TOKEN}"}


def test_a_plugin_that_cannot_be_installed_cannot_stop_the_build_or_the_start():
    """The catalogue is only asked at run time, in the background, for one pinned version."""
    instructions = dockerfile_instructions(GRAFANA_DOCKERFILE)
    assert not [a for w, a in instructions if w == "RUN" and "plugins install" in a], "no build step calls grafana.com"
    env = dockerfile_env(GRAFANA_DOCKERFILE)
    assert "GF_PLUGINS_PREINSTALL_SYNC" not in env, "the synchronous list fails the start when the install fails"
    assert re.fullmatch(r"grafana-sentry-datasource@\d+\.\d+\.\d+", env["GF_PLUGINS_PREINSTALL"])
    assert "GF_PATHS_PLUGINS" not in env, "plugins stay on the data volume, installed once"


def test_loki_derived_field_extracts_the_trace_id_from_a_real_exporter_log_line():
    from sentry_exporter.telemetry import tracing
    from sentry_exporter.telemetry.logs import JsonFormatter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("stack-test.derived-field")
    log.addHandler(handler)
    log.propagate = False
    try:
        with tracing.span("poll"):
            trace_id, _ = tracing.current_ids()
            log.warning("inside a poll", extra={"note": 'a "trace_id": "not-this" decoy in a value'})
    finally:
        log.removeHandler(handler)
    line = stream.getvalue().strip()
    assert json.loads(line)["trace_id"] == trace_id
    regex = by_uid()["loki"]["jsonData"]["derivedFields"][0]["matcherRegex"]
    assert re.search(regex, line).group(1) == trace_id


def test_trace_to_logs_mapping_matches_the_exporters_service_name_and_loki_label():
    from sentry_exporter.telemetry import loki, otlp
    tags = by_uid()["tempo"]["jsonData"]["tracesToLogsV2"]["tags"]
    assert {"key": "service.name", "value": "service"} in tags
    assert otlp.SERVICE_NAME == loki.SERVICE_LABEL == "sentry-exporter"
    assert loki.encode([("info", 1, "x")])["streams"][0]["stream"]["service"] == otlp.SERVICE_NAME
    queries = by_uid()["tempo"]["jsonData"]["tracesToMetrics"]["queries"]
    assert all("{$$__tags}" in q["query"] or "sentry_" in q["query"] for q in queries)


def test_dashboard_provider_uses_documented_keys_and_loads_the_baked_dashboards():
    config = load_yaml(GRAFANA_DIR / "dashboards" / "dashboards.yml")
    assert config["apiVersion"] == 1
    assert unknown_keys(config, {"apiVersion": None, "providers": [PROVIDER]}) == []
    names = [p["name"] for p in config["providers"]]
    assert len(names) == len(set(names))
    copies = {}
    for word, args in dockerfile_instructions(GRAFANA_DOCKERFILE):
        if word == "COPY":
            source, target = args.split()[-2:]
            copies[source.rstrip("/")] = target.rstrip("/")
    for provider in config["providers"]:
        if provider["options"].get("foldersFromFilesStructure"):
            assert "folder" not in provider and "folderUid" not in provider
        assert provider["options"]["path"] == copies["dashboards/generated"]
    assert copies["provisioning/grafana/datasources"] == "/etc/grafana/provisioning/datasources"
    assert copies["provisioning/grafana/dashboards"] == "/etc/grafana/provisioning/dashboards"


def test_generated_dashboards_exist_and_only_use_provisioned_datasources():
    files = sorted((ROOT / "dashboards" / "generated").glob("**/*.json"))
    assert files, "dashboards/generated is empty: the Grafana image would have no dashboards"
    uids = set()

    def walk(node):
        if isinstance(node, dict):
            ds = node.get("datasource")
            if isinstance(ds, dict) and isinstance(ds.get("uid"), str):
                uids.add(ds["uid"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in files:
        dashboard = json.loads(path.read_text())
        assert dashboard.get("title") and dashboard.get("uid"), path
        walk(dashboard)
        # Panels name datasource variables; their defaults are the uids this stack must provision.
        uids |= {v["current"]["value"] for v in dashboard["templating"]["list"] if v["type"] == "datasource"}
    # Template variables (${...}) and Grafana's built-in sources are resolved by Grafana itself.
    used = {u for u in uids if not u.startswith("$") and u not in ("grafana", "-- Grafana --", "-- Mixed --")}
    assert used and used <= DATASOURCE_UIDS, used - DATASOURCE_UIDS
    home = dockerfile_env(GRAFANA_DOCKERFILE)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    target_dir = "/etc/grafana/dashboards/sentry/"
    assert home.startswith(target_dir) and (ROOT / "dashboards/generated" / home[len(target_dir):]).is_file()
