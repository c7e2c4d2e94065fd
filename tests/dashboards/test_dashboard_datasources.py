"""Every datasource a dashboard names must be one Grafana provisions, by uid and type."""
from __future__ import annotations

import os

import pytest
import yaml
from dashboard_json import ROOT, generated

PROVISIONED = ROOT / "provisioning" / "grafana" / "datasources"
# {uid: type} fixed in the team contract; used only until the provisioning files exist (never under CI).
CONTRACT_UIDS = {"prometheus": "prometheus", "loki": "loki", "tempo": "tempo",
                 "alertmanager": "alertmanager", "sentry": "grafana-sentry-datasource"}
GRAFANA_BUILTIN = {"type": "grafana", "uid": "-- Grafana --"}


def provisioned() -> dict[str, str]:
    """{uid: type} from provisioning/grafana/datasources/*.yaml|yml."""
    files = sorted(PROVISIONED.glob("*.y*ml")) if PROVISIONED.is_dir() else []
    if not files:
        if os.environ.get("CI"):
            pytest.fail(f"no datasource provisioning files in {PROVISIONED}")
        return dict(CONTRACT_UIDS)
    found = {}
    for path in files:
        for source in yaml.safe_load(path.read_text()).get("datasources") or []:
            found[source["uid"]] = source["type"]
    return found


def references(value):
    """Every {"type", "uid"} datasource reference anywhere in a dashboard."""
    if isinstance(value, dict):
        ref = value.get("datasource")
        if isinstance(ref, dict):
            yield ref
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


@pytest.mark.parametrize("name", sorted(generated()))
def test_every_datasource_uid_is_provisioned(name):
    known = provisioned()
    refs = [r for r in references(generated()[name]) if r != GRAFANA_BUILTIN]
    assert refs
    for ref in refs:
        assert ref.get("uid") in known, f"{name}: datasource uid {ref.get('uid')!r} is not provisioned"
        assert known[ref["uid"]] == ref["type"], f"{name}: {ref} has the wrong type (provisioned {known[ref['uid']]})"
