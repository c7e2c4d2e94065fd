"""Datasources are template variables: their defaults are what Grafana provisions, and an import into
another Grafana, which only sets those variables, leaves no panel, target, annotation or link on our uids."""
from __future__ import annotations

from urllib.parse import unquote

import pytest
import yaml
from dashboard_json import (OTHER_GRAFANA_UIDS, ROOT, VARIABLE_REF, datasource_refs, datasource_variables, generated,
                            imported)

PROVISIONED = ROOT / "provisioning" / "grafana" / "datasources"
GRAFANA_BUILTIN = {"type": "grafana", "uid": "-- Grafana --"}

each_dashboard = pytest.mark.parametrize("name", sorted(generated()))


def provisioned() -> dict[str, str]:
    """{uid: type} from provisioning/grafana/datasources/*.yaml|yml."""
    files = sorted(PROVISIONED.glob("*.y*ml"))
    assert files, f"no datasource provisioning files in {PROVISIONED}"
    return {source["uid"]: source["type"] for path in files
            for source in yaml.safe_load(path.read_text()).get("datasources") or []}


def resolved(dashboard: dict, ref: dict) -> dict:
    """A datasource reference with its variable filled in as Grafana does ({} if it names no variable)."""
    match = VARIABLE_REF.fullmatch(ref["uid"])
    variable = datasource_variables(dashboard).get(match and (match[1] or match[2]))
    return {"type": variable["query"], "uid": variable["current"]["value"]} if variable else {}


def link_datasources(dashboard: dict) -> list[str]:
    """The datasource uid in each Explore link of the dashboard's link bar."""
    urls = [unquote(link["url"]) for link in dashboard["links"] if "/explore?" in link.get("url", "")]
    return [url.split('"datasource":"', 1)[1].split('"', 1)[0] for url in urls]


@each_dashboard
def test_every_datasource_is_a_variable_of_its_type(name):
    dashboard = generated()[name]
    refs = [(path, ref) for path, ref in datasource_refs(dashboard) if ref != GRAFANA_BUILTIN]
    assert refs
    for path, ref in refs:
        assert resolved(dashboard, ref).get("type") == ref["type"], f"{name}{path}: {ref} is not a datasource variable"
    used = {VARIABLE_REF.fullmatch(ref["uid"])[1] for _, ref in refs}
    assert used == set(datasource_variables(dashboard)), f"{name}: a datasource variable nothing uses, or missing"


@each_dashboard
def test_datasource_defaults_are_the_provisioned_uids(name):
    """Our own stack works without picking anything: each default is a provisioned uid of the right type."""
    known = provisioned()
    variables = datasource_variables(generated()[name])
    assert "datasource" in variables
    for variable in variables.values():
        uid = variable["current"]["value"]
        assert known.get(uid) == variable["query"], f"{name}: ${variable['name']} defaults to {uid!r}"


@each_dashboard
def test_an_import_with_other_uids_leaves_no_fixed_uid(name):
    dashboard = imported(generated()[name])
    seen = set()
    for path, ref in datasource_refs(dashboard):
        if ref != GRAFANA_BUILTIN:
            uid = resolved(dashboard, ref).get("uid")
            assert uid == OTHER_GRAFANA_UIDS[ref["type"]], f"{name}{path} still names {ref}"
            seen.add(path.split(".")[1].split("[")[0])
    assert {"panels", "templating"} <= seen
    for uid in link_datasources(dashboard):
        assert VARIABLE_REF.fullmatch(uid), f"{name}: an Explore link names the fixed datasource {uid!r}"


def test_annotations_and_explore_links_are_covered():
    """The import check above reaches annotations and links, not only panels."""
    overview, health = generated()["sentry-overview"], generated()["sentry-exporter-health"]
    assert [path for path, _ in datasource_refs(overview) if path.startswith(".annotations")][1:]
    assert len(link_datasources(health)) == 2
