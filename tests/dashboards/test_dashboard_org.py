"""Every dashboard query keeps organizations apart (issue 20, point 7): an `org` variable on every
dashboard, the `$org` matcher on every exporter series a query reads, `org` in every by() and on().

Static checks on the generated JSON, so that the next panel cannot forget the org;
test_dashboard_two_orgs.py runs them on two real orgs in one Prometheus.
"""
from __future__ import annotations

import re

import pytest
from dashboard_json import LABEL_VALUES, generated, prometheus_targets

DASHBOARDS = generated()
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# A series name: the exporter's own, or a recording rule's level:metric:operation.
SERIES = re.compile(r"\b(?P<name>sentry_\w+|[a-z_]+:\w+:\w+|up|ALERTS)\b(?P<selector>\s*\{[^}]*\})?")
ORG_MATCHER = re.compile(r'\borg\s*[=!]~\s*"\$org\|?"')
GROUPING = re.compile(r"\b(?P<kind>by|on)\s*\((?P<labels>[^)]*)\)(?:\s*group_(?:left|right)\s*\([^)]*\))?\s*"
                      r"(?P<next>[\w:]*)")
# Series without an org: the alerting knobs (one set per Prometheus), and Prometheus' own `up`, which
# common.EXPORTER_UP narrows to the selected orgs' targets through sentry_exporter_build_info: a join
# on the scrape target's labels only.
ORG_FREE = re.compile(r"^(config:\w+:\w+|up)$")
TARGET_LABELS = {"job", "instance"}


def queries():
    """(where, expr) of every Prometheus query: panel targets and annotations."""
    for uid, dashboard in DASHBOARDS.items():
        for panel, target in prometheus_targets(dashboard):
            yield f"{uid} / {panel['title']} / {target['refId']}", target["expr"]
        for annotation in dashboard["annotations"]["list"]:
            if annotation.get("datasource", {}).get("type") == "prometheus":
                yield f"{uid} / annotation {annotation['name']}", annotation["expr"]


QUERIES = list(queries())


def outside_strings(expr: str, pattern: re.Pattern):
    """Matches of `pattern` that do not start inside a string literal (label values, regexes)."""
    strings = [m.span() for m in STRING.finditer(expr)]
    return [m for m in pattern.finditer(expr) if not any(a <= m.start() < b for a, b in strings)]


def labels(grouping: re.Match) -> set[str]:
    return {label.strip() for label in grouping["labels"].split(",")}


def test_the_checks_see_every_query():
    assert len(QUERIES) > 70
    assert all(outside_strings(expr, SERIES) for _, expr in QUERIES)


@pytest.mark.parametrize("uid", sorted(DASHBOARDS))
def test_every_dashboard_has_an_org_variable_that_the_others_follow(uid):
    variables = [v for v in DASHBOARDS[uid]["templating"]["list"] if v["type"] == "query"]
    org = variables[0]
    assert LABEL_VALUES.match(org["query"])["label"] == "org"
    assert org["name"] == "org" and org["multi"] and org["includeAll"] and org["current"]["value"] == "$__all"
    for other in variables[1:]:
        assert ORG_MATCHER.search(LABEL_VALUES.match(other["query"])["selector"] or ""), other["query"]


def test_every_series_a_query_reads_is_narrowed_to_the_selected_orgs():
    missing = [f"{where}: {m['name']}{m['selector'] or ''}" for where, expr in QUERIES
               for m in outside_strings(expr, SERIES)
               if not ORG_FREE.match(m["name"]) and not ORG_MATCHER.search(m["selector"] or "")]
    assert not missing, "selectors without org=~\"$org\":\n" + "\n".join(missing)


def test_every_by_and_on_keeps_the_org():
    """Else two orgs' projects of one slug add up (by) or fail to join (on: many-to-many)."""
    missing = [f"{where}: {m.group(0)}" for where, expr in QUERIES for m in outside_strings(expr, GROUPING)
               if "org" not in labels(m)
               and not (m["kind"] == "on" and (ORG_FREE.match(m["next"]) or labels(m) <= TARGET_LABELS))]
    assert not missing, "groupings without org:\n" + "\n".join(missing)
