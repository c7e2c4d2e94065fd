"""Every version the stack's build reads is listed in docs/stack.md with its upstream evidence."""

from __future__ import annotations

import re

from stackfiles import GRAFANA_DIR, ROOT, compose, datasources, dockerfile_env, dockerfile_instructions

DOCS = ROOT / "docs" / "stack.md"
DOCKERFILES = sorted([ROOT / "exporter" / "Dockerfile", *(ROOT / "provisioning").glob("*/Dockerfile")])


def pins() -> dict[str, str]:
    """pin -> the file it is read from: FROM images, pip pins, plugin versions, compose images,
    and the Prometheus version the Grafana datasource declares."""
    found = {}
    for path in DOCKERFILES:
        where = str(path.relative_to(ROOT))
        for word, args in dockerfile_instructions(path):
            if word == "FROM":
                found[args.split()[0]] = where
            elif word == "RUN":
                for pin in re.findall(r"\b[A-Za-z0-9_.-]+==\S+", args):
                    found[pin] = where
        for name, value in dockerfile_env(path).items():
            if name.startswith("GF_PLUGINS_PREINSTALL"):
                for plugin in value.split(","):
                    found[plugin] = where
    for service in compose()["services"].values():
        if "image" in service and "build" not in service:
            found[service["image"]] = "docker-compose.yml"
    for source in datasources()["datasources"]:
        if "prometheusVersion" in source.get("jsonData", {}):
            found[f"prometheusVersion: {source['jsonData']['prometheusVersion']}"] = str(
                (GRAFANA_DIR / "datasources" / "datasources.yml").relative_to(ROOT))
    return found


def documented() -> dict[str, str]:
    """pin -> evidence, from the table in docs/stack.md's Versions section."""
    section = DOCS.read_text(encoding="utf-8").split("## Versions", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| [^|]+ \| (.+) \|$", section, re.M)
    return dict(rows)


def test_every_pin_is_exact():
    for pin, where in pins().items():
        assert re.search(r"[:@=] ?v?\d+(\.\d+)+|\d+\.\d+-slim-\w+$", pin), f"{where}: {pin} is not a version pin"
        assert not pin.endswith(":latest"), f"{where}: {pin}"


def test_every_pin_is_documented_with_its_upstream_evidence():
    table = documented()
    found = pins()
    assert len(found) >= 10, found
    for pin, where in found.items():
        assert pin in table, f"{where} pins {pin}, which docs/stack.md's Versions table does not list"
        evidence = table[pin]
        assert re.search(r"\b[\w-]+/[\w.-]+\b", evidence), f"{pin}: name the upstream repository (owner/name)"
        assert re.search(r"\d", evidence), f"{pin}: name the tag, version or commit upstream shows"
    stale = set(table) - set(found)
    assert not stale, f"docs/stack.md lists pins the build no longer uses: {stale}"
