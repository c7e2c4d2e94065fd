"""Shared building blocks of the Sentry dashboards: datasource variables, targets, panel factories and a
grid layout helper. Each factory is the one place its panel kind's JSON is described; the classes in
`model.py` write it in Grafana 11/12 form.
"""
import json
from urllib.parse import quote

import attr
from grafanalib import core as g

from model import (Dashboard, DatasourceVariable, JSONEncoder, Logs, Panel, PieChart, QueryVariable, Stat,
                   StateTimeline, Target, TimeSeries)

# Defaults: the uids provisioned in provisioning/grafana/datasources/datasources.yml.
DATASOURCE_VARIABLES = [DatasourceVariable("datasource", "Prometheus", "prometheus", "prometheus"),
                        DatasourceVariable("loki_datasource", "Loki", "loki", "loki"),
                        DatasourceVariable("tempo_datasource", "Tempo", "tempo", "tempo")]
PROMETHEUS, LOKI, TEMPO = (v.ref for v in DATASOURCE_VARIABLES)

# Every dashboard carries this tag; the link bar lists all dashboards with it.
DASHBOARD_TAG = "sentry"
# Every series the exporter serves carries `org` (its SENTRY_ORG): several orgs share one Prometheus, as
# clusters do in kubernetes-mixin. Every selector takes this matcher, every by() and on() keeps `org`.
ORG = 'org=~"$org"'
# The exporter's `up` series: the job it is scraped under is set once, in the rules
# (config:sentry_exporter_job:info in provisioning/prometheus/rules/sentry-config.rules.yml). `up` is
# Prometheus' own and has no org: leave out the targets that served only other orgs in the last day
# (a target that never served, or went down over a day ago, stays in view).
EXPORTER_UP = ('up and on (job) config:sentry_exporter_job:info unless on (job, instance) '
               'last_over_time(sentry_exporter_build_info{org!~"$org"}[1d])')
EXPORTER_LOGS = '{service="sentry-exporter"}'
# Tempo returns the first traces it finds, not the newest, unless asked (TraceQL hint, Tempo v2.10.8
# docs/sources/tempo/traceql/construct-traceql-queries.md, "most_recent").
EXPORTER_TRACES = '{resource.service.name="sentry-exporter"} with (most_recent=true)'

REFRESH_CHOICES = ["10s", "30s", "1m", "5m", "15m", "30m", "1h"]

GREEN, YELLOW, ORANGE, RED, BLUE = "green", "yellow", "orange", "red", "blue"


# ---------------------------------------------------------------- targets

def prom(expr, legend="", instant=False, table=False, exemplar=False):
    """A Prometheus target; instant for stats/tables, range for time series. `exemplar`: Grafana draws
    exemplars that link to their trace."""
    instant = instant or table
    return Target(PROMETHEUS, {"expr": expr, "instant": instant, "range": not instant, "editorMode": "code",
                               "format": "table" if table else "time_series", "hide": False,
                               **({"legendFormat": legend} if legend else {}),
                               **({"exemplar": True} if exemplar else {})})


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

def _queries(targets):
    """A panel's targets with refIds A, B, …, and the panel datasource: that of its targets."""
    return {"dataSource": targets[0].datasource,
            "targets": [attr.evolve(t, refId=chr(ord("A") + i)) for i, t in enumerate(targets)]}


def timeseries(title, description, targets, unit, stack=False, min_zero=True, time_shift=None):
    return TimeSeries(
        title=title, description=description, **_queries(targets),
        unit=unit, valueMin=0 if min_zero else None,
        drawStyle="line", fillOpacity=15, lineWidth=1,
        stacking={"mode": "normal", "group": "A"} if stack else {"mode": "none", "group": "A"},
        legendDisplayMode="table", legendPlacement="bottom", legendCalcs=["lastNotNull", "max"],
        tooltipMode="multi", tooltipSort="desc", showPoints="never",
        thresholds=steps((None, GREEN)), timeShift=time_shift,
    )


def stat(title, description, targets, unit, thresholds=None, mappings=None, color_mode="value", text_mode="auto"):
    return Stat(
        title=title, description=description, **_queries(targets),
        format=unit, thresholds=thresholds or steps((None, BLUE)), mappings=mappings or [],
        color={"mode": "thresholds"}, colorMode=color_mode, graphMode="none",
        reduceCalc="lastNotNull", textMode=text_mode, noValue="No data",
    )


def count_stat(title, description, expr, *alarms):
    """A stat of one instant count that should be 0: green, then each (from, color) step of `alarms`."""
    return stat(title, description, [prom(expr, instant=True)], unit="short", thresholds=steps((None, GREEN), *alarms))


def piechart(title, description, targets, unit):
    return PieChart(
        title=title, description=description, **_queries(targets),
        unit=unit, pieType="donut", legendDisplayMode="table", legendPlacement="right",
        legendValues=["value", "percent"], tooltipMode="single",
        thresholds=steps((None, GREEN)),
    )


def state_timeline(title, description, targets, mappings, thresholds):
    return StateTimeline(
        title=title, description=description, **_queries(targets),
        mappings=mappings, thresholds=thresholds, showValue="never", rowHeight=0.8,
        extraJson={"fieldConfig": {"defaults": {"unit": "none"}}},
    )


def logs(title, description, expr):
    return Logs(
        title=title, description=description,
        **_queries([Target(LOKI, {"expr": expr, "queryType": "range", "editorMode": "code", "maxLines": 500})]),
        showTime=True, wrapLogMessages=True, enableLogDetails=True, prettifyLogMessage=False,
        sortOrder="Descending",
    )


def table(title, description, targets, unit, transformations=(), links=(), sort_by=None, filterable=True):
    defaults = {"custom": {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": filterable}}
    if links:
        defaults["links"] = list(links)
    return Panel(
        kind="table", title=title, description=description, **_queries(targets), unit=unit,
        thresholds=steps((None, GREEN)), transformations=list(transformations), defaults=defaults,
        # No options.footer: Grafana deletes it on load (migrateFooterV2, public/app/plugins/panel/table/migrations.ts).
        options={"showHeader": True, "cellHeight": "sm",
                 **({"sortBy": [{"displayName": sort_by, "desc": True}]} if sort_by else {})},
    )


def trace_search(title, description, query):
    """Recent traces from Tempo as a table; each trace id opens the trace view."""
    return table(title, description, [Target(TEMPO, {"query": query, "queryType": "traceql", "limit": 20,
                                                     "tableType": "traces"})], unit="none", filterable=False)


# Show each series' latest value (Grafana's reduceOptions).
LAST_VALUE = {"calcs": ["lastNotNull"], "fields": "", "values": False}


def bargauge(title, description, targets, unit, thresholds=None, min_value=0, max_value=None, links=()):
    defaults = {"min": min_value, "color": {"mode": "thresholds"}, "links": list(links)}
    if max_value is not None:
        defaults["max"] = max_value
    return Panel(
        kind="bargauge", title=title, description=description, **_queries(targets), unit=unit,
        thresholds=thresholds or steps((None, BLUE)), defaults=defaults,
        options={"displayMode": "gradient", "orientation": "horizontal", "reduceOptions": LAST_VALUE,
                 "showUnfilled": True, "valueMode": "color", "namePlacement": "auto", "sizing": "auto",
                 "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300,
                 "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom", "calcs": []}},
    )


def bars_by(title, description, label, series):
    """A bar per value of `label`: the sum of `series` over it, largest first."""
    return bargauge(title, description, [prom(f"sort_desc(sum by (org, {label}) ({series}))", legend="{{%s}}" % label,
                                              instant=True)], unit="short")


def pie_by(title, description, label, series):
    """A slice per value of `label`: the sum of `series` over it."""
    return piechart(title, description, [prom(f"sum by (org, {label}) ({series})", legend="{{%s}}" % label,
                                              instant=True)], unit="short")


def gauge(title, description, targets, unit, thresholds, min_value=0, max_value=1):
    return Panel(
        kind="gauge", title=title, description=description, **_queries(targets), unit=unit,
        thresholds=thresholds, defaults={"min": min_value, "max": max_value, "color": {"mode": "thresholds"}},
        options={"reduceOptions": LAST_VALUE, "orientation": "auto", "showThresholdLabels": False,
                 "showThresholdMarkers": True, "sizing": "auto", "minVizHeight": 75, "minVizWidth": 75},
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

def variable(name, label, metric, label_name, description, all_value=None):
    """A variable fed by label_values(metric, label_name); all_value: see QueryVariable."""
    return QueryVariable(name, label, f"label_values({metric}, {label_name})", description, PROMETHEUS,
                         all_value)


# The first variable of every dashboard: the others' values depend on it.
ORG_VARIABLE = variable("org", "Organization", "sentry_up", "org", "Sentry organization slug (each exporter's "
                        "SENTRY_ORG)")


def _link_bar():
    return [g.DashboardLink(type="dashboards", tags=[DASHBOARD_TAG], asDropdown=False, includeVars=False,
                            keepTime=True, title="Sentry dashboards", tooltip="The other Sentry dashboards")]


def alert_annotation(alert_regex="Sentry.*"):
    """Firing alerts of the selected orgs, and those about the stack itself (no org: SentryExporterDown …)."""
    return {"name": "Firing alerts", "enable": True, "hide": False, "iconColor": RED,
            "datasource": PROMETHEUS,
            "expr": f'ALERTS{{alertstate="firing", alertname=~"{alert_regex}", org=~"$org|"}}',
            "titleFormat": "{{alertname}}", "textFormat": "{{severity}} {{project}}",
            "tagKeys": "severity,project", "useValueForTime": False}


def deploy_annotation():
    """Each release's newest deploy per environment, at the time it finished (the sample's value)."""
    return {"name": "Deploys", "enable": True, "hide": False, "iconColor": BLUE, "datasource": PROMETHEUS,
            "expr": 'max by (org, project, release, environment) '
                    '(sentry_release_deploy_timestamp_seconds{org=~"$org", project=~"$project"}) * 1000',
            "titleFormat": "Deploy of {{release}}", "textFormat": "{{project}} to {{environment}}",
            "tagKeys": "project,environment", "useValueForTime": True}


def release_annotation():
    """Each of the newest releases at the time Sentry created it."""
    return {"name": "Releases", "enable": False, "hide": False, "iconColor": "purple", "datasource": PROMETHEUS,
            "expr": 'max by (org, project, release) '
                    '(sentry_release_created_timestamp_seconds{org=~"$org", project=~"$project"}) * 1000',
            "titleFormat": "Release {{release}}", "textFormat": "{{project}}", "tagKeys": "project",
            "useValueForTime": True}


def _datasources_used(*parts):
    """The datasource variables that anything in `parts` refers to (Prometheus always: label_values)."""
    text = json.dumps(parts, cls=JSONEncoder)
    return [v for v in DATASOURCE_VARIABLES if v.plugin == "prometheus" or "${%s}" % v.name in text]


def dashboard(uid, title, description, rows, variables=(), annotations=(), links=(), tags=()):
    """A dashboard with the house defaults: last 24h, refresh choices incl. 10s, link bar, variables."""
    panels, links = arrange(rows), _link_bar() + list(links)
    return Dashboard(
        uid=uid, title=title, description=description, tags=[DASHBOARD_TAG, *tags],
        panels=panels,
        templating=g.Templating(list=_datasources_used(panels, annotations, links) + [ORG_VARIABLE, *variables]),
        annotations=g.Annotations(list=list(annotations)),
        links=links,
        time=g.Time("now-24h", "now"), refresh="1m",
        timePicker=g.TimePicker(refreshIntervals=REFRESH_CHOICES, timeOptions=[]),
        timezone="browser", graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
    )

