"""Loading the generated dashboards and walking their panels and targets (shared by the dashboard tests)."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tools import shared

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
GENERATED = DASHBOARDS / "generated"
SCHEMAS = shared("schemas")

sys.path.insert(0, str(DASHBOARDS))
import build  # noqa: E402  (dashboards/build.py)


def generated() -> dict[str, dict]:
    """{file stem: dashboard JSON} of the committed generated files."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(GENERATED.glob("*.json"))}


def panels(dashboard: dict) -> list[dict]:
    """Every panel, including those nested in row panels."""
    found = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def targets(dashboard: dict):
    """(panel, target) for every query of every panel."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield panel, target


def prometheus_targets(dashboard: dict):
    for panel, target in targets(dashboard):
        if target["datasource"]["type"] == "prometheus":
            yield panel, target


def datasource_refs(value, path=""):
    """(path, {"type", "uid"}) for every datasource reference anywhere in a dashboard or part of one."""
    if isinstance(value, dict):
        ref = value.get("datasource")
        if isinstance(ref, dict):
            yield f"{path}.datasource", ref
        for key, item in value.items():
            yield from datasource_refs(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from datasource_refs(item, f"{path}[{i}]")


def datasource_variables(dashboard: dict) -> dict[str, dict]:
    """{name: variable} of the dashboard's datasource-type template variables."""
    return {v["name"]: v for v in dashboard["templating"]["list"] if v["type"] == "datasource"}


# The uids another Grafana gives its own datasources of each type.
OTHER_GRAFANA_UIDS = {"prometheus": "P1809F7CD0C75ACF3", "loki": "P8E80F9AEF21F6940", "tempo": "P214B5B846CF3925F"}


def imported(dashboard: dict, uids: dict[str, str] = OTHER_GRAFANA_UIDS) -> dict:
    """The dashboard as an import into another Grafana leaves it: each datasource variable set to that
    Grafana's datasource of its type (uids: {type: uid}), everything else untouched."""
    copy = json.loads(json.dumps(dashboard))
    for variable in datasource_variables(copy).values():
        variable["current"] = {"text": uids[variable["query"]], "value": uids[variable["query"]]}
    return copy


VARIABLE_REF = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\)$")


def variable_refs(text: str) -> set[str]:
    """Names of the template variables a query refers to (Grafana's own `$__…` excluded)."""
    names = {braced or bare for braced, bare in VARIABLE_REF.findall(text)}
    return {n for n in names if not n.startswith("__")}
