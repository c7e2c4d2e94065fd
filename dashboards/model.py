"""grafanalib 0.7.1 objects that write the JSON model of Grafana 11/12 themselves.

grafanalib writes keys from Grafana 4-6 (rows, span, height, Graphite-era target fields, Grafana 6
fieldOptions, …), `None` for everything unset and schemaVersion 12, which makes Grafana migrate the
dashboard on every load and fails the strict 12.3 schema. Here each kind of object writes what Grafana
itself would save, so a fix to one kind has one home:

- ModernPanel: the keys every panel shares, for grafanalib's panel kinds whose options are modern;
- Panel: a panel kind whose grafanalib class is legacy (bar gauge, gauge, table);
- Target, QueryVariable, DatasourceVariable: queries and template variables;
- Dashboard: the dashboard-level keys.
"""
import json

import attr
from grafanalib import core as g

# 41 is the newest version Grafana 11.6 writes; Grafana 12's only later step (v42) rewrites
# overrides with hideFrom.viz, which these dashboards do not use, so neither has anything to migrate.
SCHEMA_VERSION = 41
# Keys grafanalib writes with a value that Grafana 11/12 no longer has.
LEGACY_PANEL_KEYS = {"editable", "error", "maxDataPoints", "hideTimeOverride"}
LEGACY_DASHBOARD_KEYS = {"__inputs", "rows", "sharedCrosshair", "hideControls", "style", "gnetId", "id"}
BUILTIN_ANNOTATION = {
    "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
}


class JSONEncoder(json.JSONEncoder):
    """Encodes grafanalib objects (anything with to_json_data), as grafanalib's private encoder does."""

    def default(self, obj):
        to_json_data = getattr(obj, "to_json_data", None)
        return to_json_data() if to_json_data else super().default(obj)


def plain(value):
    """`value` as JSON data: grafanalib objects encoded, None members removed everywhere except a
    threshold's base step, whose null means -Infinity."""
    def drop_nones(item):
        if isinstance(item, dict):
            if set(item) == {"color", "value"}:
                return dict(item)
            return {k: drop_nones(v) for k, v in item.items() if v is not None}
        if isinstance(item, list):
            return [drop_nones(v) for v in item]
        return item
    return drop_nones(json.loads(json.dumps(value, cls=JSONEncoder)))


class ModernPanel:
    """Mixin for a grafanalib panel kind: the keys of grafanalib's Panel.panel_json, which every panel
    shares, as Grafana 11/12 writes them."""

    def panel_json(self, overrides):
        panel = {k: v for k, v in plain(super().panel_json(overrides)).items() if k not in LEGACY_PANEL_KEYS}
        field_config = panel["fieldConfig"]
        field_config.setdefault("overrides", [])
        defaults = field_config["defaults"]
        defaults.setdefault("custom", {})
        if not defaults["thresholds"]["steps"]:
            del defaults["thresholds"]
        for key in ("targets", "links", "transformations"):
            if not panel.get(key):
                panel.pop(key, None)
        if "targets" not in panel:
            panel.pop("datasource", None)
        return panel


def _modern(kind):
    return type(kind.__name__, (ModernPanel, kind), {"__doc__": f"grafanalib's {kind.__name__}, modern JSON."})


# grafanalib's panel kinds whose own options are already in the Grafana 8+ shape.
TimeSeries, Stat, PieChart, StateTimeline, Logs = map(
    _modern, (g.TimeSeries, g.Stat, g.PieChartv2, g.StateTimeline, g.Logs))


@attr.s
class Panel(ModernPanel, g.Panel):
    """A panel kind written with Grafana 8+ options: grafanalib 0.7.1's BarGauge and GaugePanel still
    write Grafana 6 `fieldOptions`, and its Table Grafana 7 `columns`, `styles` and `displayMode`."""
    kind = attr.ib(default="")
    unit = attr.ib(default="short")
    options = attr.ib(factory=dict)
    defaults = attr.ib(factory=dict)

    def to_json_data(self):
        return self.panel_json({
            "type": self.kind,
            "fieldConfig": {"defaults": {"unit": self.unit, **self.defaults}, "overrides": []},
            "options": self.options,
        })


@attr.s
class Target:
    """A query: its datasource, refId and that datasource's own query keys (grafanalib's Target is
    Graphite-era, and it has no Loki or Tempo target)."""
    datasource = attr.ib()
    query = attr.ib(factory=dict)
    refId = attr.ib(default="")

    def to_json_data(self):
        return {"datasource": self.datasource, "refId": self.refId, **self.query}


@attr.s
class QueryVariable:
    """A multi-select variable fed by a datasource query, defaulting to All, refreshed with the time range.

    all_value=".*" for labels a series may lack, so that "All" still matches series without the label.
    """
    name = attr.ib()
    label = attr.ib()
    query = attr.ib()
    description = attr.ib()
    datasource = attr.ib()
    all_value = attr.ib(default=None)

    def to_json_data(self):
        return {"type": "query", "name": self.name, "label": self.label, "description": self.description,
                "datasource": self.datasource, "query": self.query, "definition": self.query,
                "current": {"selected": True, "text": "All", "value": "$__all"},
                "includeAll": True, "multi": True, "hide": 0, "options": [],
                "refresh": g.REFRESH_ON_TIME_RANGE_CHANGE, "sort": 1,
                **({"allValue": self.all_value} if self.all_value else {})}


@attr.s(frozen=True)
class DatasourceVariable:
    """A datasource-type template variable, as the monitoring mixins have: a dashboard imported into
    another Grafana picks that Grafana's datasource of the type; the default is a uid we provision."""
    name = attr.ib()
    label = attr.ib()
    plugin = attr.ib()  # the datasource type the picker lists
    default_uid = attr.ib()

    @property
    def ref(self):
        """What panels, targets and annotations name instead of a fixed uid."""
        return {"type": self.plugin, "uid": "${%s}" % self.name}

    def to_json_data(self):
        return {"type": "datasource", "name": self.name, "label": self.label, "query": self.plugin,
                "current": {"text": self.label, "value": self.default_uid},
                "description": f"{self.label} datasource of the Sentry data", "hide": 0,
                "includeAll": False, "multi": False, "options": [], "refresh": 1, "regex": ""}


@attr.s
class Dashboard(g.Dashboard):
    """grafanalib's Dashboard with the dashboard-level keys in Grafana 11/12 form."""

    def to_json_data(self):
        dash = {k: v for k, v in plain(super().to_json_data()).items() if k not in LEGACY_DASHBOARD_KEYS}
        dash["schemaVersion"] = SCHEMA_VERSION
        dash["timepicker"].pop("time_options", None)
        dash["annotations"]["list"].insert(0, BUILTIN_ANNOTATION)
        return dash
