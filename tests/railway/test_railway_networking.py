"""Services find each other the same way in compose and on Railway: every private host and port the
provisioning files use names a service of both, resolves on Railway's private network, and every
variable those files read is set on Railway."""

from __future__ import annotations

import re

import pytest
import yaml

from railway_support import (COMPOSE_FILE, ROOT, SERVICES, image_env, literal_variables, ports_of, project,
                             read_dockerfile, resources)

PROVISIONING = ROOT / "provisioning"
TEXT_SUFFIXES = {".yml", ".yaml", ".json", ".ini", ".sh", ".py", ".tmpl", ".txt", ".conf", ""}
RAILWAY_HOST = re.compile(r"(?<![\w.-])([a-z][a-z0-9-]*)\.railway\.internal(?::(\d+))?")
URL_HOST = re.compile(r"\b[a-z][a-z0-9+.-]*://([a-z][a-z0-9-]*)(?::(\d+))?(?=[/\"'\s,]|$)", re.M)
PLACEHOLDER = re.compile(r"\$\{(\w+)(:?-[^}]*)?\}|\$__env\{(\w+)\}|(?<!\$)\$([A-Z][A-Z0-9_]+)")


def provisioning_files(service: str | None = None) -> list:
    base = PROVISIONING / service if service else PROVISIONING
    return sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
                  and "__pycache__" not in p.parts and "tests" not in p.relative_to(PROVISIONING).parts)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def without_comments(path) -> str:
    """The file's text without shell/YAML/Dockerfile comments (they often show examples)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix in (".yml", ".yaml", ".sh", "") :
        text = re.sub(r"(?m)(^|\s)#.*$", r"\1", text)
    return text


def private_hosts() -> list[tuple[str, str, int | None, bool, str | None]]:
    """(file, host, port, written as <host>.railway.internal, variable that carries it) for every
    private host in provisioning/ and the Dockerfiles; the variable is set for Dockerfile ENV defaults."""
    found = []
    files = provisioning_files() + [ROOT / "exporter" / "Dockerfile"]
    for path in files:
        if not path.exists():
            continue
        relative = str(path.relative_to(ROOT))
        chunks = [(without_comments(path), None)]
        if path.name == "Dockerfile":
            chunks = [(value, key) for key, value in image_env(read_dockerfile(path)).items()]
        for text, variable in chunks:
            for match in RAILWAY_HOST.finditer(text):
                port = int(match.group(2)) if match.group(2) else None
                found.append((relative, match.group(1), port, True, variable))
            for match in URL_HOST.finditer(text):
                if match.group(1) != "localhost":
                    port = int(match.group(2)) if match.group(2) else None
                    found.append((relative, match.group(1), port, False, variable))
    return found


def test_provisioning_exists_and_uses_private_hosts():
    assert len(private_hosts()) >= 5, "Prometheus alone scrapes five services of the stack"


def test_every_private_host_in_provisioning_is_a_service_of_compose_and_railway(compose):
    railway = resources(project(), "service")
    problems = []
    for file, host, port, qualified, variable in private_hosts():
        service = file.split("/")[1] if file.startswith("provisioning/") else "exporter"
        if host not in compose["services"] or host not in railway:
            problems.append(f"{file}: {host} is not a service of both compose and the Railway project")
        elif port is not None and port not in ports_of(host):
            problems.append(f"{file}: {host} serves {sorted(ports_of(host))}, not {port}")
        elif not qualified and not (variable and variable in railway[service].get("variables", {})):
            problems.append(f"{file}: bare host {host!r} does not resolve on Railway; "
                            f"write {host}.railway.internal (compose aliases it) or take it from a variable")
    assert not problems, "\n".join(problems)


def test_compose_aliases_every_railway_hostname_the_provisioning_files_use(compose):
    for file, host, _, qualified, _ in private_hosts():
        if not qualified or host not in compose["services"]:
            continue
        networks = compose["services"][host].get("networks") or {}
        aliases = {a for n in (networks.values() if isinstance(networks, dict) else []) for a in (n or {}).get(
            "aliases", [])}
        assert f"{host}.railway.internal" in aliases, (
            f"{file} uses {host}.railway.internal, which compose's {host} service does not alias")


def referenced_variables(service: str) -> dict[str, bool]:
    """{variable: required} read by the service's provisioning files via ${VAR}, $VAR or $__env{VAR}."""
    found: dict[str, bool] = {}
    for path in provisioning_files(service):
        if path.suffix == ".py":
            continue  # a script's variables are read with os.environ and checked by its own tests
        text = without_comments(path).replace("$$", "")
        for braced, default, env_form, bare in PLACEHOLDER.findall(text):
            name = braced or env_form or bare
            if bare and path.suffix not in (".yml", ".yaml", ".ini"):
                continue  # $VAR is only expanded by Grafana's provisioning and ini files
            found[name] = found.get(name, False) or not default
    return found


RAILWAY_PROVIDED = re.compile(r"^(PORT|RAILWAY_\w+)$")


@pytest.mark.parametrize("name", [n for n in SERVICES if n != "exporter"])
def test_variables_the_provisioning_files_require_are_set_on_railway(name):
    svc = resources(project(), "service")[name]
    declared = set(svc.get("variables", {}))
    missing = [v for v, required in referenced_variables(name).items()
               if required and v not in declared and not RAILWAY_PROVIDED.match(v)]
    assert not missing, f"{name} reads {missing} but railway.ts does not set them"


@pytest.mark.parametrize("name", [n for n in SERVICES if n != "exporter"])
def test_railway_sets_no_variable_its_service_ignores(name):
    """Guards against drift: a variable nothing reads is usually a renamed one that no longer works."""
    svc = resources(project(), "service")[name]
    used = set(referenced_variables(name))
    for path in provisioning_files(name):  # scripts read variables by name
        used |= set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", path.read_text(encoding="utf-8", errors="replace")))
    platform = re.compile(r"^(PORT|RAILWAY_\w+|GF_\w+)$")  # read by Railway itself, or Grafana's own config
    unused = [v for v in svc.get("variables", {}) if v not in used and not platform.match(v)]
    assert not unused, f"railway.ts sets {unused} on {name}, but nothing in provisioning/{name} reads them"


def test_exporter_variables_are_settings_the_exporter_knows():
    from sentry_exporter import config
    known = config.variables()
    exporter = resources(project(), "service")["exporter"]
    unknown = set(exporter["variables"]) - known
    assert not unknown, f"the exporter does not read {sorted(unknown)}"


def test_compose_and_railway_point_each_service_at_the_same_peers(compose):
    """An internal URL compose gives a service must exist on Railway as a reference to the same
    service, port and path (e.g. LOKI_URL=http://loki:3100 -> http://${{loki.RAILWAY_PRIVATE_DOMAIN}}:3100)."""
    railway = resources(project(), "service")
    compared = 0
    for name, spec in compose["services"].items():
        if name not in railway:
            continue
        environment = spec.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment if "=" in item)
        railway_vars = literal_variables(railway[name])
        for key, value in environment.items():
            url = re.fullmatch(r"http://([a-z][a-z0-9-]*)(?:\.railway\.internal)?:(\d+)(/\S*)?", str(value or ""))
            if not url or url.group(1) not in railway:
                continue
            compared += 1
            host, port, path = url.group(1), url.group(2), url.group(3) or ""
            expected = f"http://${{{{{host}.RAILWAY_PRIVATE_DOMAIN}}}}:{port}{path}"
            assert railway_vars.get(key) == expected, f"{name}.{key}: compose {value}, Railway {railway_vars.get(key)}"
    assert compared, "compose gives no service an internal URL to compare"


IPV4_ONLY_LISTEN = re.compile(
    r"(listen[-_.]address|http_listen_address|grpc_listen_address|http_addr|endpoint|EXPORTER_HOST)"
    r"[\"']?\s*[=:]\s*[\"']?(0\.0\.0\.0|127\.0\.0\.1|localhost)(:\d+)?\b", re.I)


def test_no_service_listens_on_ipv4_only():
    """Railway's private network is IPv6-only in environments created before 16 October 2025:
    a listener on 0.0.0.0 or 127.0.0.1 is unreachable from its peers there."""
    files = provisioning_files() + [ROOT / "exporter" / "Dockerfile", COMPOSE_FILE]
    offending = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in files if p.exists()
                 for m in IPV4_ONLY_LISTEN.finditer(without_comments(p))]
    assert not offending, offending
