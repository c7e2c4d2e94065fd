"""Turn grafanalib 0.7.1 dashboard JSON into the JSON model of Grafana 11/12.

grafanalib writes keys from Grafana 4-6 (rows, span, height, sharedCrosshair, style, Graphite-era
target fields, …), `None` for everything unset and schemaVersion 12, which makes Grafana migrate
the dashboard on every load and fails the strict 12.3 schema. This module removes or translates
those keys so the committed JSON is what Grafana itself would save.
"""

# 41 is the newest version Grafana 11.6 writes; Grafana 12's only later step (v42) rewrites
# overrides with hideFrom.viz, which these dashboards do not use, so neither has anything to migrate.
SCHEMA_VERSION = 41

LEGACY_DASHBOARD_KEYS = {"__inputs", "__requires", "rows", "sharedCrosshair", "hideControls", "style", "gnetId", "id"}
LEGACY_PANEL_KEYS = {"span", "height", "minSpan", "editable", "error", "columns", "fontSize", "mappings",
                     "color", "styles", "maxDataPoints", "cacheTimeout", "hideTimeOverride"}
LEGACY_TARGET_KEYS = {"target", "alias", "metric", "step", "query", "intervalFactor"}
NON_INTERVAL_VARIABLE_KEYS = {"auto", "auto_min", "auto_count", "useTags", "tagsQuery", "tagValuesQuery"}

BUILTIN_ANNOTATION = {
    "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
}


def drop_nones(value):
    """Remove None members everywhere, except a threshold's base step, whose null means -Infinity."""
    if isinstance(value, dict):
        if set(value) == {"color", "value"} and value["value"] is None:
            return dict(value)
        return {k: drop_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nones(v) for v in value]
    return value


def modernize(raw):
    """Return a modern copy of grafanalib's `Dashboard.to_json_data()` after JSON round-trip."""
    dash = drop_nones(raw)
    for key in LEGACY_DASHBOARD_KEYS:
        dash.pop(key, None)
    dash["schemaVersion"] = SCHEMA_VERSION
    dash["timepicker"].pop("time_options", None)
    dash["annotations"]["list"] = [BUILTIN_ANNOTATION] + dash["annotations"]["list"]
    dash["templating"]["list"] = [_variable(v) for v in dash["templating"]["list"]]
    dash["panels"] = [_panel(p) for p in dash["panels"]]
    return dash


def _variable(var):
    var = dict(var)
    if var["type"] != "interval":
        for key in NON_INTERVAL_VARIABLE_KEYS:
            var.pop(key, None)
    current = {k: v for k, v in var.get("current", {}).items() if k != "tags"}
    if current.get("value") == "$__all":
        current["text"] = "All"
    if current:
        var["current"] = current
    else:
        var.pop("current", None)
    var.setdefault("definition", var["query"])
    return var


def _panel(panel):
    panel = {k: v for k, v in panel.items() if k not in LEGACY_PANEL_KEYS}
    if not panel.get("repeat"):
        for key in ("repeat", "repeatDirection", "maxPerRow"):
            panel.pop(key, None)
    if "fieldConfig" in panel:
        panel["fieldConfig"] = _field_config(panel["fieldConfig"])
    if "targets" in panel:
        panel["targets"] = [_target(t, panel.get("datasource")) for t in panel["targets"]]
    if not panel.get("targets"):
        panel.pop("targets", None)
        panel.pop("datasource", None)
    if not panel.get("transformations"):
        panel.pop("transformations", None)
    if not panel.get("links"):
        panel.pop("links", None)
    return panel


def _field_config(config):
    defaults = dict(config.get("defaults", {}))
    thresholds = defaults.get("thresholds")
    if thresholds is not None and not thresholds.get("steps"):
        defaults.pop("thresholds")
    custom = dict(defaults.get("custom", {}))
    # Grafana 10 replaced the table's custom.displayMode with custom.cellOptions.
    if "displayMode" in custom:
        custom.setdefault("cellOptions", {"type": _cell_type(custom.pop("displayMode"))})
    defaults["custom"] = custom
    return {"defaults": defaults, "overrides": config.get("overrides", [])}


def _cell_type(display_mode):
    return "auto" if display_mode in ("auto", "") else display_mode


def _target(target, panel_datasource):
    target = dict(target)
    if not target.get("datasource"):
        target["datasource"] = panel_datasource
    if target["datasource"].get("type") == "prometheus":
        # grafanalib's Target copies expr into `query` and adds Graphite-era fields.
        target = {k: v for k, v in target.items() if k not in LEGACY_TARGET_KEYS}
        target.setdefault("editorMode", "code")
        target["range"] = not target.get("instant", False)
        for key in ("interval", "legendFormat"):
            if target.get(key) == "":
                target.pop(key)
    return target
