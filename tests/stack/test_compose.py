"""docker-compose.yml: valid against the compose spec, and every reference in it resolves."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path


from stackfiles import (COMPOSE, ROOT, SERVICE_PORTS, TEMPO_CONFIG, compose, dockerfile_env, dockerfile_instructions,
                        host_port, load_yaml, service_for_host)
from tools import require_tool

ONE_SHOT = {"volume-init"}               # runs and exits; others wait for it to complete
PROBED_FROM_OUTSIDE = {"tempo": "tempo-ready"}  # shell-less image: another service probes its /ready
VERSION_TAG = re.compile(r"^[\w./-]+:v?\d+(\.\d+){1,2}(-[\w.-]+)?$")
# Telemetry a service sends but can do without: it waits for these to start, not to be healthy.
OPTIONAL_FOR = {"exporter": {"loki", "tempo"}}
# What each service uses with the demo (docs/stack.md, "Memory"): a limit must stay well above it.
MEMORY_FLOOR_MIB = {"prometheus": 512, "loki": 512, "tempo": 512, "grafana": 384}


def seconds(duration: str) -> int:
    found = re.fullmatch(r"(\d+)([sm])", duration)
    assert found, duration
    return int(found[1]) * (60 if found[2] == "m" else 1)


def services() -> dict:
    return compose()["services"]


def test_compose_file_validates_against_the_compose_spec():
    beside_python = Path(sys.executable).with_name("check-jsonschema")  # installed in the venv
    check = str(beside_python) if beside_python.exists() else require_tool("check-jsonschema")
    result = subprocess.run([check, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stack_has_the_fixed_services():
    assert set(SERVICE_PORTS) <= set(services())


def test_every_long_running_service_has_a_healthcheck():
    for name, service in services().items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            continue
        check = service.get("healthcheck") or {}
        if name in PROBED_FROM_OUTSIDE:
            probe = services()[PROBED_FROM_OUTSIDE[name]]
            assert check.get("disable") is True
            assert f"http://{name}:3200/ready" in probe["healthcheck"]["test"]
            assert probe["depends_on"][name]["condition"] == "service_started"
            continue
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] == "CMD", f"{name}: exec form, no shell needed"
        assert service.get("restart") == "unless-stopped", name


def test_dependencies_wait_for_health_or_completion():
    for name, service in services().items():
        for dep, rule in (service.get("depends_on") or {}).items():
            assert dep in services(), f"{name} depends on unknown {dep}"
            condition = rule["condition"]
            if dep in ONE_SHOT:
                assert condition == "service_completed_successfully", (name, dep)
            elif condition == "service_started" and dep in OPTIONAL_FOR.get(name, ()):
                continue
            elif dep in PROBED_FROM_OUTSIDE:
                assert name == PROBED_FROM_OUTSIDE[dep], f"{name} must wait for {PROBED_FROM_OUTSIDE[dep]}, not {dep}"
            else:
                assert condition == "service_healthy", (name, dep)
    assert services()["grafana"]["depends_on"].keys() >= {"prometheus", "loki", "tempo-ready", "alertmanager"}


def test_the_exporter_starts_when_loki_or_tempo_never_becomes_healthy():
    """Logs and traces are optional and buffered: a Loki or Tempo that fails its healthcheck must not
    keep /metrics (and every alert) from starting. Compose still starts them first."""
    depends_on = services()["exporter"]["depends_on"]
    assert depends_on == {"loki": {"condition": "service_started"}, "tempo": {"condition": "service_started"}}
    env = services()["exporter"]["environment"]
    assert {service_for_host(host_port(env[k])[0]) for k in ("LOKI_URL", "OTEL_EXPORTER_OTLP_ENDPOINT")} == set(depends_on)


def test_every_long_running_service_has_a_memory_limit_that_env_can_raise():
    for name, service in services().items():
        if name in ONE_SHOT or name in PROBED_FROM_OUTSIDE.values():
            continue
        limit = service.get("mem_limit", "")
        found = re.fullmatch(r"\$\{(\w+)_MEM_LIMIT:-(\d+)([mg])\}", limit)
        assert found and found[1] == name.upper().replace("-", "_"), f"{name}: mem_limit {limit!r}"
        mib = int(found[2]) * (1024 if found[3] == "g" else 1)
        assert mib >= MEMORY_FLOOR_MIB.get(name, 128), f"{name}: {mib} MiB is below what it uses"


def test_tempo_gets_time_for_its_shutdown_delay_and_a_clean_stop():
    """Tempo waits shutdown_delay after SIGTERM (grafana/tempo#7967); compose's default 10 s would kill it."""
    delay = seconds(load_yaml(TEMPO_CONFIG)["shutdown_delay"])
    assert delay > 30, "one 30 s queue cleanup (modules/frontend/queue/queue.go) must run before the stop"
    assert seconds(services()["tempo"]["stop_grace_period"]) >= delay + 15


def test_images_are_pinned_to_versions():
    for name, service in services().items():
        if "build" in service:
            assert service["image"].endswith(":local"), name  # our own build, tagged locally
        else:
            assert VERSION_TAG.match(service["image"]), f"{name}: {service['image']} is not pinned"
    for dockerfile in ROOT.glob("**/Dockerfile"):
        if ".venv" in dockerfile.parts or "node_modules" in dockerfile.parts:
            continue
        for word, args in dockerfile_instructions(dockerfile):
            if word == "FROM":
                image = args.split()[0]
                assert VERSION_TAG.match(image) and "latest" not in image, f"{dockerfile}: FROM {image}"


def test_builds_use_the_repository_root_and_existing_dockerfiles():
    for name, service in services().items():
        if "build" in service:
            assert service["build"]["context"] == "."
            assert (ROOT / service["build"]["dockerfile"]).is_file(), name
    assert services()["exporter"]["build"]["dockerfile"] == "exporter/Dockerfile"


def _dockerignore() -> list[str]:
    return [l.strip() for l in (ROOT / ".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")]


def test_every_file_a_dockerfile_copies_exists_and_reaches_the_build_context():
    ignored = _dockerignore()
    for name, service in services().items():
        if "build" not in service:
            continue
        dockerfile = ROOT / service["build"]["dockerfile"]
        for word, args in dockerfile_instructions(dockerfile):
            if word not in ("COPY", "ADD"):
                continue
            parts = [p for p in shlex.split(args) if not p.startswith("--")]
            if "--from=" in args:
                continue
            for source in parts[:-1]:
                matches = list(ROOT.glob(source.rstrip("/")))
                assert matches, f"{dockerfile}: COPY {source} matches nothing"
                for match in matches:
                    rel = match.relative_to(ROOT).as_posix()
                    assert not any(fnmatch.fnmatch(rel, p) or rel.startswith(p.rstrip("/") + "/") for p in ignored), \
                        f"{dockerfile}: {rel} is excluded by .dockerignore"


def test_host_ports_are_loopback_only_and_match_the_service_ports():
    for name, service in services().items():
        for mapping in service.get("ports", []):
            host_ip, host_port_, container_port = mapping.split(":")
            assert host_ip == "127.0.0.1", f"{name} publishes {mapping} beyond this machine"
            assert int(container_port) in SERVICE_PORTS[name], f"{name}: {mapping}"


def test_named_volumes_are_declared_used_and_persist_each_store():
    declared = set(compose()["volumes"])
    used = {}
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            assert source in declared, f"{name} mounts undeclared volume {source} (bind mounts are not allowed)"
            used.setdefault(source, set()).add((name, target))
    assert set(used) == declared
    expected = {("prometheus", "/prometheus"), ("alertmanager", "/alertmanager"), ("grafana", "/var/lib/grafana"),
                ("loki", "/loki"), ("tempo", "/var/tempo")}
    assert expected <= {pair for pairs in used.values() for pair in pairs}
    init = services()["volume-init"]
    assert {v.split(":")[1] for v in init["volumes"]} == {t for _, t in expected}
    assert init["user"] == "0:0"


def test_demo_mode_is_on_by_default_and_the_real_org_comes_from_env():
    env = services()["exporter"]["environment"]
    assert env["SENTRY_DEMO"] == "${SENTRY_DEMO:-1}"
    for name in ("SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_URL"):
        assert env[name].startswith("${" + name), name
        assert services()["grafana"]["environment"][name] == env[name], f"Grafana's Sentry datasource uses {name}"
    example = (ROOT / ".env.example").read_text()
    for line in ("SENTRY_DEMO=0", "SENTRY_AUTH_TOKEN=", "SENTRY_ORG=", "SENTRY_URL=", "GF_SECURITY_ADMIN_PASSWORD="):
        assert re.search(rf"^{re.escape(line)}", example, re.M), line
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_grafana_is_not_anonymous_and_takes_its_password_from_a_variable():
    env = services()["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GF_SECURITY_ADMIN_PASSWORD")
    # A default password is allowed only while the port is bound to this machine; publishing it
    # means setting GRAFANA_PUBLIC=true, and the entrypoint then refuses the default.
    assert env["GRAFANA_PUBLIC"] == "${GRAFANA_PUBLIC:-false}"
    assert services()["grafana"]["ports"] == ["127.0.0.1:3000:3000"]
    assert dockerfile_env(ROOT / "provisioning/grafana/Dockerfile")["GF_AUTH_ANONYMOUS_ENABLED"] == "false"


def test_every_address_a_service_is_given_reaches_a_service_on_a_port_it_listens_on():
    addresses = [services()["exporter"]["environment"][k] for k in ("LOKI_URL", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    env = dockerfile_env(ROOT / "provisioning/grafana/Dockerfile")
    addresses += [env[k] for k in ("PROMETHEUS_URL", "LOKI_URL", "TEMPO_URL", "ALERTMANAGER_URL")]
    for name, service in services().items():
        test = (service.get("healthcheck") or {}).get("test") or []
        addresses += [arg for arg in test if arg.startswith("http://") and "127.0.0.1" not in arg]
    assert len(addresses) >= 7
    for address in addresses:
        host, port = host_port(address)
        target = service_for_host(host)
        assert target, f"{address}: no service answers to {host}"
        assert port in SERVICE_PORTS[target], f"{address}: {target} does not listen on {port}"


def test_railway_hostnames_used_in_configs_are_compose_aliases():
    # Prometheus and Tempo cannot expand variables in their targets: they name Railway hosts.
    text = (ROOT / "provisioning/prometheus/prometheus.yml").read_text() + (ROOT / "provisioning/tempo/tempo.yaml").read_text()
    hosts = set(re.findall(r"([a-z-]+)\.railway\.internal", text))
    assert hosts >= {"exporter", "grafana", "loki", "tempo", "alertmanager", "prometheus"}
    for host in hosts:
        assert service_for_host(f"{host}.railway.internal") == host


def test_exporter_image_is_slim_non_root_with_a_python_healthcheck():
    steps = dockerfile_instructions(ROOT / "exporter/Dockerfile")
    words = [w for w, _ in steps]
    args = dict(reversed(steps))  # first occurrence of each instruction
    assert re.match(r"python:3\.\d+-slim-\w+$", args["FROM"]), "a maintained minor-line tag (docs/stack.md)"
    assert any(w == "RUN" and "pip install ./exporter" in a for w, a in steps)
    user = [a for w, a in steps if w == "USER"][-1]
    assert user.split(":")[0] not in ("0", "root")
    healthcheck = [a for w, a in steps if w == "HEALTHCHECK"][0]
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3:])
    assert command[0] == "python" and "/healthz" in command[-1]
    assert json.loads([a for w, a in steps if w == "CMD"][-1]) == ["sentry-exporter"]
    assert words.index("USER") < words.index("CMD")


def test_exporter_image_healthcheck_command_really_probes_healthz(tmp_path):
    """Run the Dockerfile's healthcheck command against a real exporter and against nothing."""
    from tools import ExporterProcess, free_port
    steps = dockerfile_instructions(ROOT / "exporter/Dockerfile")
    healthcheck = [a for w, a in steps if w == "HEALTHCHECK"][0]
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3:])
    code = command[-1]
    exporter = ExporterProcess({"SENTRY_DEMO": "1"})
    try:
        exporter.wait_ready()
        ok = subprocess.run([sys.executable, "-c", code], env={"EXPORTER_PORT": str(exporter.port)}, timeout=10)
        down = subprocess.run([sys.executable, "-c", code], env={"PORT": str(free_port())},
                              capture_output=True, timeout=10)
    finally:
        exporter.stop()
    assert ok.returncode == 0 and down.returncode != 0


def test_exporter_image_installs_only_the_runtime_dependencies():
    import tomllib
    project = tomllib.loads((ROOT / "exporter/pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~\[ ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    # urllib3 comes with requests anyway; it is named to pin the 2.x API the client reads bodies with
    assert names == {"prometheus-client", "requests", "urllib3", "apscheduler", "pyyaml"}
    assert "optional-dependencies" not in project or not any(
        w == "RUN" and "./exporter[" in a for w, a in dockerfile_instructions(ROOT / "exporter/Dockerfile"))


# Which services may see each secret: the ones that use it, nobody else (railway.ts is tested alike).
SECRET_USERS = {
    "SENTRY_AUTH_TOKEN": {"exporter", "grafana"},  # Grafana's Sentry datasource uses the same token
    "GF_SECURITY_ADMIN_PASSWORD": {"grafana"},
    "EXPORTER_BEARER_TOKEN": {"exporter", "prometheus"},  # Prometheus scrapes with it
}


def test_each_secret_reaches_only_the_services_that_use_it():
    for name, service in services().items():
        env_files = [f["path"] if isinstance(f, dict) else f for f in service.get("env_file", [])]
        assert ".env" not in env_files, f"{name} would get the whole .env, every secret in it"
        environment = service.get("environment") or {}
        for secret, users in SECRET_USERS.items():
            if name not in users:
                assert secret not in environment, f"{name} does not need {secret}"
    assert services()["alertmanager"]["env_file"] == [{"path": "alertmanager.env", "required": False}]
