"""Everything the Railway builds read exists in the repository, pushes redeploy the right services,
and each volume is mounted where its image really writes."""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib

import pytest
import yaml

from railway_support import (RAILWAY_TOML, ROOT, SERVICES, container_command, copy_sources, image_env,
                             missing_context_paths, project, read_dockerfile, resources)



def dockerfiles_named_by_railway() -> dict[str, str]:
    """service -> Dockerfile path, from railway.ts and (for the exporter) railway.toml."""
    paths = {name: svc["build"]["dockerfilePath"] for name, svc in resources(project(), "service").items()}
    with RAILWAY_TOML.open("rb") as f:
        legacy = tomllib.load(f)["build"]["dockerfilePath"]
    assert legacy == paths["exporter"]
    return paths


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dockerfile_and_every_copy_source_exist_in_the_repository_root_context(name):
    dockerfile = ROOT / dockerfiles_named_by_railway()[name]
    assert copy_sources(dockerfile), f"{dockerfile} copies nothing from the repository"
    missing = missing_context_paths(dockerfile)
    assert not missing, f"{dockerfile.relative_to(ROOT)} COPYs paths missing from the repo root: {missing}"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dockerignore_keeps_what_the_dockerfiles_copy(name):
    dockerfile = ROOT / SERVICES[name].dockerfile
    ignore = ROOT / ".dockerignore"
    patterns = [] if not ignore.exists() else [
        p.strip() for p in ignore.read_text(encoding="utf-8").splitlines() if p.strip() and not p.startswith("#")]
    for source in copy_sources(dockerfile):
        assert not ignored(source.strip("/"), patterns), f"{source} is excluded by .dockerignore"


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern also excludes what is below it."""
    result = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.replace("**/", "")) for p in prefixes):
            result = not negate
    return result


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_watch_patterns_cover_the_dockerfile_and_everything_it_copies(name):
    """A push that changes a copied file must redeploy the service that bakes it in."""
    svc = resources(project(), "service")[name]
    dockerfile = ROOT / svc["build"]["dockerfilePath"]
    patterns = svc["build"]["watchPatterns"]
    for path in [svc["build"]["dockerfilePath"], *copy_sources(dockerfile)]:
        files = [path] if "*" in path else [str(p.relative_to(ROOT)) for p in walk(ROOT / path.strip("/"))]
        for file in files:
            assert any(watched(file, p) for p in patterns), f"{name}: a change to {file} would not redeploy"


def walk(path):
    if path.is_dir():
        return [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [path]


def watched(file: str, pattern: str) -> bool:
    pattern = pattern.lstrip("/")
    return fnmatch.fnmatch(file, pattern) or (pattern.endswith("/**") and file.startswith(pattern[:-2]))


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_dockerfile_railway_builds_declares_a_volume(name):
    """Railway's builder refuses VOLUME ("docker VOLUME ... is not supported, use Railway Volumes")."""
    instructions = read_dockerfile(ROOT / dockerfiles_named_by_railway()[name])
    assert not [i.args for i in instructions if i.keyword == "VOLUME"], f"{name}: use a Railway volume instead"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_exposed_ports_match_the_service_port(name):
    instructions = read_dockerfile(ROOT / SERVICES[name].dockerfile)
    exposed = {int(p.split("/")[0]) for i in instructions if i.keyword == "EXPOSE" for p in i.args.split()}
    assert not exposed or SERVICES[name].port in exposed, f"{name} EXPOSEs {exposed}"


# --- volumes at the data directories -----------------------------------------------------------

DATA_KEYS = re.compile(r"^(path_prefix|dir|path|directory|cache_location|wal_path|.*_directory|.*_dir)$")
SCRATCH = ("/tmp", "/etc", "/dev", "/proc", "/usr", "/bin")


def yaml_data_paths(service: str) -> list[str]:
    """Absolute directories configured in a service's YAML files (env defaults expanded)."""
    found: list[str] = []

    def visit(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                visit(v, str(k))
        elif isinstance(node, list):
            for v in node:
                visit(v, key)
        elif isinstance(node, str) and DATA_KEYS.match(key):
            value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", node)
            if value.startswith("/") and not value.startswith(SCRATCH):
                found.append(value)

    for path in sorted((ROOT / "provisioning" / service).rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            visit(document)
    return found


def flag(command: list[str], name: str) -> str | None:
    for i, word in enumerate(command):
        if word.startswith(f"{name}="):
            return word.split("=", 1)[1]
        if word == name and i + 1 < len(command):
            return command[i + 1]
    return None


def data_paths(service: str) -> list[str]:
    dockerfile = ROOT / SERVICES[service].dockerfile
    if service == "prometheus":
        # The official image runs in /prometheus with --storage.tsdb.path=/prometheus; a relative
        # path (Prometheus' own default is data/) lands under the WORKDIR.
        workdir = next((i.args for i in reversed(read_dockerfile(dockerfile)) if i.keyword == "WORKDIR"),
                       "/prometheus")
        tsdb = flag(container_command(dockerfile), "--storage.tsdb.path") or "/prometheus"
        return [os.path.normpath(os.path.join(workdir, tsdb))]
    if service == "grafana":
        return [image_env(read_dockerfile(dockerfile)).get("GF_PATHS_DATA", "/var/lib/grafana")]
    if service == "alertmanager":
        # The flag sits inside the entrypoint's shell command, one word of the exec form.
        return re.findall(r"--storage\.path=(\S+)", " ".join(container_command(dockerfile)))
    return yaml_data_paths(service)


@pytest.mark.parametrize("name", [n for n, e in SERVICES.items() if e.mount])
def test_each_volume_holds_all_of_its_services_data(name):
    mount = resources(project(), "service")[name]["volumeAttachments"]
    (mount_path,) = [a["mountPath"] for a in mount.values()]
    paths = data_paths(name)
    assert paths, f"{name}: no data directory found in its configuration"
    outside = [p for p in paths if not (p == mount_path or p.startswith(mount_path.rstrip("/") + "/"))]
    assert not outside, f"{name} writes {outside} outside its volume at {mount_path}: lost on every redeploy"


def test_alertmanager_does_not_need_a_private_ipv4_to_start():
    """Alertmanager's gossip listener (on by default) fails to start where it finds no private IPv4,
    as on Railway's IPv6-only private networks; a single instance needs no cluster."""
    dockerfile = ROOT / SERVICES["alertmanager"].dockerfile
    # The flag may sit in the Dockerfile's CMD or in a start script it copies.
    texts = [" ".join(container_command(dockerfile))] + [
        p.read_text(encoding="utf-8", errors="replace") for p in walk(dockerfile.parent)]
    disabled = re.compile(r"--cluster\.listen-address(=|\s+)(''|\"\"|\s|\\?\n|\"?,|$)")
    assert any(disabled.search(t + " ") for t in texts), (
        "alertmanager should start with --cluster.listen-address= (empty) to disable clustering")


def test_exporter_image_listens_on_all_interfaces_including_ipv6():
    env = image_env(read_dockerfile(ROOT / SERVICES["exporter"].dockerfile))
    assert env.get("EXPORTER_HOST", "::") == "::", "Railway's private network may be IPv6-only"
    assert "EXPORTER_PORT" not in env, "EXPORTER_PORT would override the PORT Railway sets"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_builds_the_same_dockerfile_from_the_same_context(name):
    """One set of images: compose and Railway bake the same Dockerfile and provisioning files."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    build = compose["services"][name]["build"]
    assert os.path.normpath(build["context"]) == "."
    assert build["dockerfile"] == resources(project(), "service")[name]["build"]["dockerfilePath"]
