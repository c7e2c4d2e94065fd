"""Shared building blocks of the Sentry dashboards.

Datasource references, template variables, panel factories and a grid layout helper,
all producing grafanalib objects. grafanalib 0.7.1 still writes some legacy keys;
`modernize.py` turns its output into clean Grafana 11/12 JSON, so the factories here
only have to say what a panel *means*.
"""
import json
from urllib.parse import quote

import attr
from grafanalib import core as g


class JSONEncoder(json.JSONEncoder):
    """Encodes grafanalib objects (anything with to_json_data), as grafanalib's private encoder does."""

    def default(self, obj):
        to_json_data = getattr(obj, "to_json_data", None)
        return to_json_data() if to_json_data else super().default(obj)


@attr.s(frozen=True)
class DatasourceVariable:
    """A datasource-type template variable, as the monitoring mixins have: a dashboard imported into
    another Grafana picks that Grafana's own datasource; the default is the uid we provision
    (provisioning/grafana/datasources/datasources.yml), so our stack needs no choice."""
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


DATASOURCE_VARIABLES = [DatasourceVariable("datasource", "Prometheus", "prometheus", "prometheus"),
                        DatasourceVariable("loki_datasource", "Loki", "loki", "loki"),
                        DatasourceVariable("tempo_datasource", "Tempo", "tempo", "tempo")]
PROMETHEUS, LOKI, TEMPO = (v.ref for v in DATASOURCE_VARIABLES)

# Every dashboard carries this tag; the link bar lists all dashboards with it.
DASHBOARD_TAG = "sentry"
# The exporter's `up` series: the job it is scraped under is set once, in the rules
# (config:sentry_exporter_job:info in provisioning/prometheus/rules/sentry-config.rules.yml).
EXPORTER_UP = "up and on (job) config:sentry_exporter_job:info"
EXPORTER_LOGS = '{service="sentry-exporter"}'
EXPORTER_TRACES = '{resource.service.name="sentry-exporter"}'

REFRESH_CHOICES = ["10s", "30s", "1m", "5m", "15m", "30m", "1h"]

GREEN, YELLOW, ORANGE, RED, BLUE = "green", "yellow", "orange", "red", "blue"


# ---------------------------------------------------------------- targets

@attr.s
class LokiTarget:
    """A LogQL query (grafanalib 0.7.1 has no Loki target)."""
    expr = attr.ib()
    refId = attr.ib(default="")
    maxLines = attr.ib(default=500)

    def to_json_data(self):
        return {"datasource": LOKI, "expr": self.expr, "refId": self.refId,
                "queryType": "range", "editorMode": "code", "maxLines": self.maxLines}


@attr.s
class TempoTarget:
    """A TraceQL search (grafanalib 0.7.1 has no Tempo target)."""
    query = attr.ib()
    refId = attr.ib(default="")
    limit = attr.ib(default=20)

    def to_json_data(self):
        return {"datasource": TEMPO, "query": self.query, "refId": self.refId,
                "queryType": "traceql", "limit": self.limit, "tableType": "traces"}


@attr.s
class PromTarget(g.Target):
    """grafanalib's Target plus `exemplar`: Grafana then draws exemplars that link to their trace."""
    exemplar = attr.ib(default=False)

    def to_json_data(self):
        return {**super().to_json_data(), **({"exemplar": True} if self.exemplar else {})}


def prom(expr, legend="", instant=False, table=False, exemplar=False):
    """A Prometheus target; instant for stats/tables, range for time series."""
    return PromTarget(expr=expr, legendFormat=legend, instant=instant or table,
                      format="table" if table else "time_series", datasource=PROMETHEUS, exemplar=exemplar)


def _with_ref_ids(targets):
    return [attr.evolve(t, refId=chr(ord("A") + i)) for i, t in enumerate(targets)]


# ---------------------------------------------------------------- field config pieces

def steps(*pairs):
    """Threshold steps from (value, color) pairs; the first value is the base (None = -Infinity)."""
    return [{"color": color, "value": value} for value, color in pairs]


def value_text(mapping):
    """Value mappings {value: (text, color)}, e.g. 1 -> ("UP", "green")."""
    options = {str(v): {"text": text, "color": color, "index": i}
               for i, (v, (text, color)) in enumerate(mapping.items())}
    return [{"type": "value", "options": options}]


def link(title, url, new_tab=True):
    """A link in the shape the dashboard schema requires for panel and data links."""
    return {"title": title, "url": url, "type": "link", "icon": "external link",
            "tooltip": title, "tags": [], "asDropdown": False, "targetBlank": new_tab,
            "includeVars": False, "keepTime": False}


def explore_url(datasource, query_key, query):
    """Grafana Explore deep link (Grafana 10+ `panes` format).

    The datasource variable stays unencoded: Grafana fills in `${…}` in a dashboard link's URL."""
    pane = {"datasource": datasource["uid"],
            "queries": [{"refId": "A", "datasource": datasource, query_key: query}],
            "range": {"from": "now-1h", "to": "now"}}
    panes = quote(json.dumps({"a": pane}, sort_keys=True, separators=(",", ":")), safe="")
    return "/explore?schemaVersion=1&orgId=1&panes=" + panes.replace(quote(datasource["uid"], safe=""),
                                                                      datasource["uid"])


# ---------------------------------------------------------------- panels

def timeseries(title, description, targets, unit, stack=False, min_zero=True, time_shift=None):
    return g.TimeSeries(
        title=title, description=description, dataSource=PROMETHEUS, targets=_with_ref_ids(targets),
        unit=unit, valueMin=0 if min_zero else None,
        drawStyle="line", fillOpacity=15, lineWidth=1,
        stacking={"mode": "normal", "group": "A"} if stack else {"mode": "none", "group": "A"},
        legendDisplayMode="table", legendPlacement="bottom", legendCalcs=["lastNotNull", "max"],
        tooltipMode="multi", tooltipSort="desc", showPoints="never",
        thresholds=steps((None, GREEN)), timeShift=time_shift,
    )


def stat(title, description, targets, unit, thresholds=None, mappings=None, color_mode="value", text_mode="auto"):
    return g.Stat(
        title=title, description=description, dataSource=PROMETHEUS, targets=_with_ref_ids(targets),
        format=unit, thresholds=thresholds or steps((None, BLUE)), mappings=mappings or [],
        color={"mode": "thresholds"}, colorMode=color_mode, graphMode="none",
        reduceCalc="lastNotNull", textMode=text_mode, noValue="No data",
    )


def piechart(title, description, targets, unit):
    return g.PieChartv2(
        title=title, description=description, dataSource=PROMETHEUS, targets=_with_ref_ids(targets),
        unit=unit, pieType="donut", legendDisplayMode="table", legendPlacement="right",
        legendValues=["value", "percent"], tooltipMode="single",
        thresholds=steps((None, GREEN)),
    )


def table(title, description, targets, unit, transformations=(), links=(), sort_by=None):
    return g.Table(
        title=title, description=description, dataSource=PROMETHEUS, targets=_with_ref_ids(targets),
        unit=unit, filterable=True, transformations=list(transformations),
        sortBy=[g.TableSortByField(displayName=sort_by, desc=True)] if sort_by else [],
        thresholds=steps((None, GREEN)),
        extraJson={"fieldConfig": {"defaults": {"links": list(links)}}} if links else None,
    )


def state_timeline(title, description, targets, mappings, thresholds):
    return g.StateTimeline(
        title=title, description=description, dataSource=PROMETHEUS, targets=_with_ref_ids(targets),
        mappings=mappings, thresholds=thresholds, showValue="never", rowHeight=0.8,
        extraJson={"fieldConfig": {"defaults": {"unit": "none"}}},
    )


def text(title, description, content):
    return g.Text(title=title, description=description, content=content, mode="markdown")


def logs(title, description, expr):
    return g.Logs(
        title=title, description=description, dataSource=LOKI, targets=[LokiTarget(expr=expr, refId="A")],
        showTime=True, wrapLogMessages=True, enableLogDetails=True, prettifyLogMessage=False,
        sortOrder="Descending",
    )


@attr.s
class _ModernPanel(g.Panel):
    """A grafanalib panel whose options are already in the Grafana 8+ shape.

    grafanalib 0.7.1's BarGauge and GaugePanel still write Grafana 6 `fieldOptions`.
    """
    panel_type = attr.ib(default="")
    unit = attr.ib(default="short")
    options = attr.ib(factory=dict)
    defaults = attr.ib(factory=dict)

    def to_json_data(self):
        return self.panel_json({
            "type": self.panel_type,
            "fieldConfig": {"defaults": {"unit": self.unit, **self.defaults}, "overrides": []},
            "options": self.options,
        })


# Show each series' latest value (Grafana's reduceOptions).
LAST_VALUE = {"calcs": ["lastNotNull"], "fields": "", "values": False}


def bargauge(title, description, targets, unit, thresholds=None, min_value=0, max_value=None, links=()):
    defaults = {"min": min_value, "color": {"mode": "thresholds"}, "links": list(links)}
    if max_value is not None:
        defaults["max"] = max_value
    return _ModernPanel(
        panel_type="bargauge", title=title, description=description, dataSource=PROMETHEUS,
        targets=_with_ref_ids(targets), unit=unit, thresholds=thresholds or steps((None, BLUE)),
        defaults=defaults,
        options={"displayMode": "gradient", "orientation": "horizontal", "reduceOptions": LAST_VALUE,
                 "showUnfilled": True, "valueMode": "color", "namePlacement": "auto", "sizing": "auto",
                 "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300,
                 "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom", "calcs": []}},
    )


def gauge(title, description, targets, unit, thresholds, min_value=0, max_value=1):
    return _ModernPanel(
        panel_type="gauge", title=title, description=description, dataSource=PROMETHEUS,
        targets=_with_ref_ids(targets), unit=unit, thresholds=thresholds,
        defaults={"min": min_value, "max": max_value, "color": {"mode": "thresholds"}},
        options={"reduceOptions": LAST_VALUE, "orientation": "auto", "showThresholdLabels": False,
                 "showThresholdMarkers": True, "sizing": "auto", "minVizHeight": 75, "minVizWidth": 75},
    )


def trace_search(title, description, query):
    """Recent traces from Tempo as a table; each trace id opens the trace view."""
    return _ModernPanel(
        panel_type="table", title=title, description=description, dataSource=TEMPO,
        targets=[TempoTarget(query=query, refId="A")], unit="none",
        defaults={"custom": {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": False}},
        options={"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"]}},
    )


# ---------------------------------------------------------------- layout

def arrange(rows):
    """Place panels on Grafana's 24-column grid.

    rows: [(height, [panel | (width, panel), ...]), ...]; panels without a width share the row evenly.
    Returns the panels with gridPos and sequential ids set.
    """
    placed, y, next_id = [], 0, 1
    for height, row in rows:
        sized = [item if isinstance(item, tuple) else (None, item) for item in row]
        free = 24 - sum(w for w, _ in sized if w)
        unsized = sum(1 for w, _ in sized if not w)
        x = 0
        for width, panel in sized:
            width = width or free // unsized
            placed.append(attr.evolve(panel, id=next_id,
                                      gridPos=g.GridPos(h=height, w=width, x=x, y=y)))
            x += width
            next_id += 1
        y += height
    return placed


# ---------------------------------------------------------------- variables and dashboard

@attr.s
class Variable(g.Template):
    """grafanalib's Template plus the description Grafana shows next to the picker."""
    description = attr.ib(default="")

    def to_json_data(self):
        return {**super().to_json_data(), "description": self.description}


def variable(name, label, metric, label_name, description, all_value=None):
    """A multi-select variable fed by label_values(metric, label_name), defaulting to All.

    all_value=".*" for labels a series may lack (e.g. `environment` without SENTRY_ENVIRONMENTS),
    so that "All" still matches series without the label.
    """
    return Variable(
        name=name, label=label, query=f"label_values({metric}, {label_name})", description=description,
        dataSource=PROMETHEUS, includeAll=True, multi=True, allValue=all_value,
        refresh=g.REFRESH_ON_TIME_RANGE_CHANGE, sort=1, default="$__all",
    )


def _link_bar():
    return [g.DashboardLink(type="dashboards", tags=[DASHBOARD_TAG], asDropdown=False, includeVars=False,
                            keepTime=True, title="Sentry dashboards", tooltip="The other Sentry dashboards")]


def alert_annotation(alert_regex="Sentry.*"):
    return {"name": "Firing alerts", "enable": True, "hide": False, "iconColor": RED,
            "datasource": PROMETHEUS,
            "expr": f'ALERTS{{alertstate="firing", alertname=~"{alert_regex}"}}',
            "titleFormat": "{{alertname}}", "textFormat": "{{severity}} {{project}}",
            "tagKeys": "severity,project", "useValueForTime": False}


def _datasources_used(*parts):
    """The datasource variables that anything in `parts` refers to (Prometheus always: label_values)."""
    text = json.dumps(parts, cls=JSONEncoder)
    return [v for v in DATASOURCE_VARIABLES if v.plugin == "prometheus" or "${%s}" % v.name in text]


def dashboard(uid, title, description, rows, variables=(), annotations=(), links=(), tags=()):
    """A dashboard with the house defaults: last 24h, refresh choices incl. 10s, link bar, variables."""
    panels, links = arrange(rows), _link_bar() + list(links)
    return g.Dashboard(
        uid=uid, title=title, description=description, tags=[DASHBOARD_TAG, *tags],
        panels=panels, templating=g.Templating(list=_datasources_used(panels, annotations, links) + list(variables)),
        annotations=g.Annotations(list=list(annotations)),
        links=links,
        time=g.Time("now-24h", "now"), refresh="1m",
        timePicker=g.TimePicker(refreshIntervals=REFRESH_CHOICES, timeOptions=[]),
        timezone="browser", graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
    )

