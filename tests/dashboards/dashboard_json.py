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


VARIABLE_REF = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\)$")


def variable_refs(text: str) -> set[str]:
    """Names of the template variables a query refers to (Grafana's own `$__…` excluded)."""
    names = {braced or bare for braced, bare in VARIABLE_REF.findall(text)}
    return {n for n in names if not n.startswith("__")}
