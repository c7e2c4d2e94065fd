"""`.railway/railway.ts` type-checks against the pinned `railway` package and, evaluated offline the
way `railway config plan` evaluates it, describes the project the bundle needs."""

from __future__ import annotations

import json
import re
import subprocess
import uuid

import pytest
import yaml

from railway_support import (ROOT, RAILWAY_DIR, RAILWAY_TS, SECRET_VARIABLES, SERVICES, evaluate, literal_variables,
                             node_tools, ports_of, project, resources)

REFERENCE = re.compile(r"\$\{\{\s*([\w-]+)(?:\.([\w-]+))?\s*\}\}")


def run_tsc(*args: str) -> subprocess.CompletedProcess:
    tsc = node_tools() / "tsc"
    return subprocess.run([str(tsc), *args], cwd=RAILWAY_DIR, capture_output=True, text=True, timeout=180)


def test_railway_ts_type_checks_against_the_pinned_package():
    result = run_tsc("--noEmit", "-p", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_type_check_catches_a_wrong_enum_value():
    """Proves the check above has teeth: Railway's enums are uppercase, and tsc must say so."""
    stem = f"broken-{uuid.uuid4().hex[:8]}"
    broken, config = RAILWAY_DIR / f"{stem}.ts", RAILWAY_DIR / f"{stem}.tsconfig.json"
    try:
        text = RAILWAY_TS.read_text(encoding="utf-8")
        assert '"ON_FAILURE"' in text
        broken.write_text(text.replace('"ON_FAILURE"', '"on_failure"'), encoding="utf-8")
        config.write_text(json.dumps({"extends": "./tsconfig.json", "include": [broken.name]}), encoding="utf-8")
        result = run_tsc("--noEmit", "-p", config.name)
    finally:
        broken.unlink(missing_ok=True)
        config.unlink(missing_ok=True)
    assert result.returncode != 0
    assert "on_failure" in result.stdout


def test_the_project_has_exactly_the_stack_services():
    services = resources(project(), "service")
    assert sorted(services) == sorted(SERVICES)
    assert not resources(project(), "database"), "the bundle needs no managed database"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_builds_its_dockerfile_from_the_repository_root(name):
    svc = resources(project(), "service")[name]
    assert svc["kind"] == "github" and svc["source"]["type"] == "github"
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", svc["source"]["repo"])
    assert not svc["source"].get("rootDirectory"), "the build context is the repository root"
    assert svc["build"]["builder"] == "DOCKERFILE"
    assert svc["build"]["dockerfilePath"] == SERVICES[name].dockerfile


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_has_its_healthcheck_restart_policy_and_port(name):
    svc = resources(project(), "service")[name]
    deploy = svc["deploy"]
    assert deploy["healthcheckPath"] == SERVICES[name].healthcheck
    assert 30 <= deploy["healthcheckTimeout"] <= 300  # Railway's default and ceiling is 300 s
    assert deploy["restartPolicyType"] == "ON_FAILURE"
    assert deploy["restartPolicyMaxRetries"] >= 1
    # Railway probes the healthcheck on $PORT, so PORT must be the port the service really serves.
    assert literal_variables(svc).get("PORT") == str(SERVICES[name].port)
    assert "startCommand" not in deploy, "the image's own CMD is the start command, as in compose"


def test_stateful_services_mount_one_volume_each_at_their_data_directory():
    definition = project()
    services = resources(definition, "service")
    volumes = resources(definition, "volume")
    mounts = {}
    for name, svc in services.items():
        attachments = svc.get("volumeAttachments", {})
        assert len(attachments) <= 1, f"{name}: Railway allows one volume per service"
        for volume_name, attachment in attachments.items():
            assert volume_name in volumes, f"{name} mounts {volume_name}, which is not a project resource"
            mounts[name] = attachment["mountPath"]
    assert mounts == {name: e.mount for name, e in SERVICES.items() if e.mount}
    attached = [a["volume"] for s in services.values() for a in s.get("volumeAttachments", {}).values()]
    assert sorted(attached) == sorted(f"volume.{v}" for v in volumes), "every volume is mounted exactly once"


def test_services_with_a_volume_run_as_root_because_railway_mounts_volumes_as_root():
    for name, svc in resources(project(), "service").items():
        run_uid = literal_variables(svc).get("RAILWAY_RUN_UID")
        if svc.get("volumeAttachments"):
            assert run_uid == "0", f"{name}: its non-root image cannot write the root-owned volume"
        else:
            assert run_uid is None, f"{name} has no volume, so it keeps its image's non-root user"


def test_only_grafana_is_public_on_its_http_port():
    for name, svc in resources(project(), "service").items():
        networking = svc.get("networking", {})
        public = {**(networking.get("serviceDomains") or {}), **(networking.get("customDomains") or {})}
        if name == "grafana":
            assert len(public) == 1
            assert [d["port"] for d in public.values()] == [SERVICES["grafana"].port]
        else:
            assert not public, f"{name} must stay on the private network"
        assert not networking.get("tcpProxies"), f"{name} must not open a TCP proxy"


def test_grafana_domain_is_stable_per_project_and_differs_between_projects():
    def domain(environment, project_id):
        return next(iter(resources(evaluate(environment=environment, project_id=project_id),
                                   "service")["grafana"]["networking"]["serviceDomains"]))
    first = domain("production", "11111111-aaaa")
    assert first == domain("production", "11111111-aaaa")
    assert first != domain("production", "22222222-bbbb")
    assert re.fullmatch(r"[a-z0-9-]{1,63}\.up\.railway\.app", first)
    for environment in ("Staging Env", "pr-1234/feature_branch", "a" * 80):
        assert re.fullmatch(r"[a-z0-9-]{1,63}\.up\.railway\.app", domain(environment, "33333333"))


def test_internal_urls_are_references_to_services_on_the_ports_they_serve():
    services = resources(project(), "service")
    seen = 0
    for name, svc in services.items():
        for key, value in literal_variables(svc).items():
            assert ".railway.internal" not in value, f"{name}.{key}: use a reference, not a hard-coded host"
            assert not re.search(r"localhost|127\.0\.0\.1|\[::1?\]", value), f"{name}.{key}: {value}"
            for namespace, variable in REFERENCE.findall(value):
                if not variable:  # ${{VAR}}: a variable of the same service
                    assert namespace.startswith("RAILWAY_") or namespace in svc["variables"], (name, key)
                    continue
                assert namespace == "shared" or namespace in services, f"{name}.{key} names {namespace!r}"
                if variable == "RAILWAY_PRIVATE_DOMAIN":
                    seen += 1
                    url = re.fullmatch(r"http://\$\{\{[\w-]+\.RAILWAY_PRIVATE_DOMAIN\}\}:(\d+)(/\S*)?", value)
                    assert url, f"{name}.{key}: private URLs are http://<ref>:<port>, got {value}"
                    assert int(url.group(1)) in ports_of(namespace), f"{name}.{key}: wrong port for {namespace}"
    assert seen >= 4, "Grafana's datasources and the exporter's log/trace endpoints use private references"


def test_secrets_are_references_never_values():
    for name, svc in resources(project(), "service").items():
        for key, value in svc.get("variables", {}).items():
            if key in SECRET_VARIABLES or re.search(r"(TOKEN|PASSWORD|SECRET|_KEY)$", key):
                assert value["type"] in ("sharedReference", "preserve", "reference"), (
                    f"{name}.{key} must be set in Railway, not written in railway.ts")
    text = RAILWAY_TS.read_text(encoding="utf-8")
    assert not re.search(r"sntry[su]_[A-Za-z0-9_=+/-]{8,}", text), "a Sentry token is written in railway.ts"
    assert not re.search(r"\b[0-9a-f]{64}\b", text), "a 64-hex token is written in railway.ts"
    assert not re.search(r"(?i)(password|token|secret)\w*\s*[:=]\s*\"[^\"$]{6,}\"", text)


def test_grafana_needs_an_admin_password_and_keeps_anonymous_access_off():
    grafana = resources(project(), "service")["grafana"]
    variables = grafana["variables"]
    assert variables["GF_SECURITY_ADMIN_PASSWORD"] == {"type": "sharedReference",
                                                        "name": "GF_SECURITY_ADMIN_PASSWORD"}
    assert literal_variables(grafana)["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    # Its entrypoint then refuses an unset, empty or default password (tests/stack/test_grafana_entrypoint.py).
    assert literal_variables(grafana)["GRAFANA_PUBLIC"] == "true"
    assert literal_variables(grafana)["GF_SERVER_ROOT_URL"] == "https://${{RAILWAY_PUBLIC_DOMAIN}}"


def test_exporter_and_grafana_share_one_sentry_token():
    services = resources(project(), "service")
    for name in ("exporter", "grafana"):
        for key in ("SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_URL"):
            assert services[name]["variables"][key] == {"type": "sharedReference", "name": key}


def test_prometheus_scrapes_the_exporter_with_the_token_the_exporter_checks():
    services = resources(project(), "service")
    token = {"type": "sharedReference", "name": "EXPORTER_BEARER_TOKEN"}
    assert services["exporter"]["variables"]["EXPORTER_BEARER_TOKEN"] == token
    assert services["prometheus"]["variables"]["EXPORTER_BEARER_TOKEN"] == token


def test_evaluation_is_the_same_for_every_environment_apart_from_the_domain():
    """Nothing but the public domain may depend on the environment, so staging tests production."""
    def strip_domain(definition):
        for r in definition["resources"]:
            r.get("networking", {}).pop("serviceDomains", None)
        return definition
    assert strip_domain(evaluate(environment="staging")) == strip_domain(evaluate(environment="production"))


def test_railway_and_typescript_are_pinned_exactly():
    package = json.loads((RAILWAY_DIR / "package.json").read_text(encoding="utf-8"))
    deps = {**package.get("dependencies", {}), **package.get("devDependencies", {})}
    assert re.fullmatch(r"3\.\d+\.\d+", deps["railway"]), "railway/iac exists only in railway@3.x"
    assert re.fullmatch(r"\d+\.\d+\.\d+", deps["typescript"])
    lock = json.loads((RAILWAY_DIR / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/railway"]["version"] == deps["railway"]


SECRET_USERS = {"SENTRY_AUTH_TOKEN": {"exporter", "grafana"}, "GF_SECURITY_ADMIN_PASSWORD": {"grafana"},
                "EXPORTER_BEARER_TOKEN": {"exporter", "prometheus"}}


def test_each_secret_reaches_only_the_services_that_use_it():
    for name, svc in resources(project(), "service").items():
        for variable, value in svc.get("variables", {}).items():
            referenced = value.get("name") if value.get("type") == "sharedReference" else variable
            users = SECRET_USERS.get(referenced)
            assert users is None or name in users, f"{name} does not need {referenced}"


def compose_service(name: str) -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][name]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_has_the_memory_limit_compose_gives_it(name):
    found = re.fullmatch(r"\$\{\w+:-(\d+)([mg])\}", compose_service(name)["mem_limit"])
    mib = int(found[1]) * (1024 if found[2] == "g" else 1)
    deploy = resources(project(), "service")[name]["deploy"]
    assert deploy["limitOverride"] == {"containers": {"memoryBytes": mib * 1024 * 1024}}


def test_tempo_is_given_the_same_time_to_stop_as_in_compose():
    """SIGTERM to SIGKILL covers Tempo's shutdown_delay (grafana/tempo#7967), as compose's stop_grace_period does."""
    deploy = resources(project(), "service")["tempo"]["deploy"]
    assert f"{deploy['drainingSeconds']}s" == compose_service("tempo")["stop_grace_period"]
