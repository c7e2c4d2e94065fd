"""The committed dashboard JSON: up to date with its grafanalib sources, clean for Grafana 11/12,
valid against Grafana 12.3's schema, and following the house conventions."""
from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
from dashboard_json import (DASHBOARDS, GENERATED, LABEL_VALUES, ROOT, SCHEMAS, build, generated, panels,
                            prometheus_targets, targets, variable_refs)

DASHBOARD_FILES = generated()
EXPECTED_UIDS = {"sentry-overview", "sentry-impact", "sentry-quota", "sentry-releases", "sentry-exporter-health",
                 "sentry-crons"}
NATIVE_PANEL_TYPES = {"timeseries", "stat", "gauge", "bargauge", "piechart", "table", "state-timeline",
                      "status-history", "text", "logs", "traces", "barchart", "histogram", "heatmap"}
PANELS_WITHOUT_NUMBERS = {"text", "logs", "traces"}
LEGACY_DASHBOARD_KEYS = {"rows", "sharedCrosshair", "hideControls", "style", "__inputs", "__requires"}
LEGACY_PANEL_KEYS = {"span", "height", "minSpan", "styles", "columns", "error"}
LEGACY_TARGET_KEYS = {"target", "alias", "metric", "step", "query"}
PROMETHEUS_TARGET_SCHEMA = json.loads((SCHEMAS / "grafana-prometheus-query.schema.json").read_text())
LOKI_TARGET_SCHEMA = json.loads((SCHEMAS / "grafana-loki-query.schema.json").read_text())
DASHBOARD_SCHEMA = jsonschema.Draft7Validator(json.loads((SCHEMAS / "grafana-dashboard.schema.json").read_text()))

each_dashboard = pytest.mark.parametrize("name", sorted(DASHBOARD_FILES))


def test_generated_json_is_what_the_sources_build():
    built = build.build_all()
    assert {p.stem for p in built} == set(DASHBOARD_FILES), "a generated file has no source, or vice versa"
    for path, text in built.items():
        assert path.read_text() == text, f"{path.name} is stale: run .venv/bin/python dashboards/build.py"


def test_build_check_is_one_command_that_passes():
    result = subprocess.run([sys.executable, str(DASHBOARDS / "build.py"), "--check"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_build_check_reports_drift(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "GENERATED", tmp_path)
    (tmp_path / "sentry-overview.json").write_text("{}\n")
    (tmp_path / "leftover.json").write_text("{}\n")
    assert build.main(["--check"]) == 1
    assert build.main([]) == 0
    assert not (tmp_path / "leftover.json").exists()
    assert build.main(["--check"]) == 0


def test_the_six_dashboards_exist_with_unique_titles():
    assert {d["uid"] for d in DASHBOARD_FILES.values()} == EXPECTED_UIDS
    titles = [d["title"] for d in DASHBOARD_FILES.values()]
    assert len(set(titles)) == len(titles)


@each_dashboard
def test_validates_against_grafana_12_dashboard_schema(name):
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in DASHBOARD_SCHEMA.iter_errors(DASHBOARD_FILES[name])]
    assert not errors, "\n".join(errors)


@each_dashboard
def test_every_query_validates_against_its_datasource_schema(name):
    checked = 0
    for panel, target in targets(DASHBOARD_FILES[name]):
        schema = {"prometheus": PROMETHEUS_TARGET_SCHEMA, "loki": LOKI_TARGET_SCHEMA}.get(target["datasource"]["type"])
        if schema is None:
            continue
        errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(target)]
        assert not errors, f"{panel['title']} / {target['refId']}: {errors}"
        checked += 1
    assert checked


@each_dashboard
def test_no_legacy_keys_and_no_nulls(name):
    dash = DASHBOARD_FILES[name]
    assert dash["schemaVersion"] >= 39
    assert not LEGACY_DASHBOARD_KEYS & dash.keys()
    for panel in panels(dash):
        assert not LEGACY_PANEL_KEYS & panel.keys(), panel["title"]
    for panel, target in prometheus_targets(dash):  # (Tempo's own target key is `query`)
        assert not LEGACY_TARGET_KEYS & target.keys(), f"{panel['title']}: {target}"
    assert list(_nulls(dash)) == [], "None values (only a threshold's base step may be null = -Infinity)"


def _nulls(value, path=""):
    if isinstance(value, dict):
        base_step = set(value) == {"color", "value"} and path.endswith("steps[0]")
        for key, item in value.items():
            if item is None and not (base_step and key == "value"):
                yield f"{path}.{key}"
            yield from _nulls(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nulls(item, f"{path}[{i}]")


@each_dashboard
def test_panels_are_native_and_self_explaining(name):
    for panel in panels(DASHBOARD_FILES[name]):
        assert panel["type"] in NATIVE_PANEL_TYPES, panel["type"]
        assert panel.get("title"), panel
        assert panel.get("description"), panel["title"]
        if panel["type"] not in PANELS_WITHOUT_NUMBERS:
            assert panel["fieldConfig"]["defaults"].get("unit"), f"{panel['title']} has no unit"


@each_dashboard
def test_panel_titles_are_unique_within_a_dashboard(name):
    titles = [p["title"] for p in panels(DASHBOARD_FILES[name])]
    assert len(set(titles)) == len(titles)


@each_dashboard
def test_panels_sit_on_the_grid_without_overlapping(name):
    cells = set()
    for panel in panels(DASHBOARD_FILES[name]):
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        area = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & area, f"{panel['title']} overlaps another panel"
        cells |= area
    ids = [p["id"] for p in panels(DASHBOARD_FILES[name])]
    assert len(set(ids)) == len(ids)


@each_dashboard
def test_house_conventions(name):
    dash = DASHBOARD_FILES[name]
    assert dash["uid"] == name, "the file is named after the dashboard uid"
    assert "sentry" in dash["tags"]
    assert dash["time"] == {"from": "now-24h", "to": "now"}
    assert "10s" in dash["timepicker"]["refresh_intervals"]
    assert dash["refresh"] in dash["timepicker"]["refresh_intervals"]
    nav = [link for link in dash["links"] if link["type"] == "dashboards"]
    assert nav and all("sentry" in link["tags"] for link in nav), "link bar to the other dashboards"


@each_dashboard
def test_variables_come_from_label_values_and_are_all_used(name):
    dash = DASHBOARD_FILES[name]
    variables = {v["name"]: v for v in dash["templating"]["list"] if v["type"] != "datasource"}
    assert variables
    for var in variables.values():
        assert LABEL_VALUES.match(var["query"]), var["query"]
        assert var["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    used = set()
    for panel, target in prometheus_targets(dash):
        refs = variable_refs(target["expr"])
        assert refs <= variables.keys(), f"{panel['title']} uses undefined {refs - variables.keys()}"
        used |= refs
    for var in variables.values():
        used |= variable_refs(var["query"])
    assert used == variables.keys(), f"unused variables: {variables.keys() - used}"


def test_every_dashboard_links_to_every_other():
    tags_everywhere = set.intersection(*(set(d["tags"]) for d in DASHBOARD_FILES.values()))
    for dash in DASHBOARD_FILES.values():
        nav_tags = {t for link in dash["links"] if link["type"] == "dashboards" for t in link["tags"]}
        assert nav_tags <= tags_everywhere, f"{dash['uid']}'s link bar misses some dashboards"


def test_issue_permalinks_are_clickable():
    overview = DASHBOARD_FILES["sentry-overview"]
    top = next(p for p in panels(overview) if p["title"] == "Top issues")
    assert any("permalink" in t["expr"] for t in top["targets"])
    assert [link["url"] for link in top["fieldConfig"]["defaults"]["links"]] == ["${__data.fields.permalink}"]


def test_exporter_health_links_to_logs_and_traces():
    health = DASHBOARD_FILES["sentry-exporter-health"]
    queries = {t["datasource"]["type"]: t.get("expr") or t.get("query") for _, t in targets(health)}
    assert queries["loki"] == '{service="sentry-exporter"}'
    # Newest first: without the hint Tempo returns the first traces it finds.
    assert queries["tempo"] == '{resource.service.name="sentry-exporter"} with (most_recent=true)'
    urls = [link["url"] for link in health["links"] if link["type"] == "link"]
    assert any("%22loki%22" in u for u in urls) and any("%22tempo%22" in u for u in urls)  # the types
    assert any("%22tempo%22" in u and "most_recent%3Dtrue" in u for u in urls)
    types = {p["datasource"]["type"] for p in panels(health) if "datasource" in p}
    assert {"loki", "tempo", "prometheus"} <= types


def test_tables_carry_no_footer_option_that_grafana_deletes_on_load():
    tables = [p for dash in DASHBOARD_FILES.values() for p in panels(dash) if p["type"] == "table"]
    assert tables and not [p["title"] for p in tables if "footer" in p.get("options", {})]


def test_generated_files_are_sorted_and_end_with_newline():
    for path in GENERATED.glob("*.json"):
        text = path.read_text()
        assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_the_model_is_what_makes_grafanalib_output_valid():
    """grafanalib's own Dashboard writes legacy keys and nulls; model.Dashboard writes what passes the schema."""
    from grafanalib.core import Dashboard
    from model import plain
    dashboard = build.load(DASHBOARDS / "sentry-overview.dashboard.py")
    legacy = json.loads(json.dumps(Dashboard.to_json_data(dashboard), default=plain))
    assert legacy["schemaVersion"] < 39 and "rows" in legacy and "sharedCrosshair" in legacy
    assert list(DASHBOARD_SCHEMA.iter_errors(legacy)), "grafanalib's own output was expected to fail the schema"
    assert not list(DASHBOARD_SCHEMA.iter_errors(plain(dashboard)))


@each_dashboard
def test_no_query_pads_empty_results(name):
    for panel, target in prometheus_targets(DASHBOARD_FILES[name]):
        assert "vector(" not in target["expr"], f"{panel['title']}: an empty panel must stay empty, not show 0"
