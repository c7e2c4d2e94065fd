"""Paths and parsed files of the stack, shared by the stack tests."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
PROMETHEUS_DIR = ROOT / "provisioning" / "prometheus"
GRAFANA_DIR = ROOT / "provisioning" / "grafana"
LOKI_CONFIG = ROOT / "provisioning" / "loki" / "loki.yaml"
TEMPO_CONFIG = ROOT / "provisioning" / "tempo" / "tempo.yaml"

# The fixed service names and the ports each one listens on (team contract).
SERVICE_PORTS = {
    "exporter": {8971},
    "prometheus": {9090},
    "grafana": {3000},
    "loki": {3100},
    "tempo": {3200, 4317, 4318},
    "alertmanager": {9093},
}
DATASOURCE_UIDS = {"prometheus", "loki", "tempo", "alertmanager", "sentry"}


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def compose() -> dict:
    return load_yaml(COMPOSE)


@cache
def prometheus_config() -> dict:
    return load_yaml(PROMETHEUS_DIR / "prometheus.yml")


@cache
def datasources() -> dict:
    return load_yaml(GRAFANA_DIR / "datasources" / "datasources.yml")


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def dockerfile_env(path: Path) -> dict[str, str]:
    env = {}
    for word, args in dockerfile_instructions(path):
        if word == "ENV":
            for name, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", args):
                env[name] = value
    return env


def host_port(address: str) -> tuple[str, int]:
    """`http://host:port/path` or `host:port` -> (host, port)."""
    match = re.fullmatch(r"(?:https?://)?([^/:]+):(\d+)(?:/.*)?", address)
    assert match, f"not a host:port address: {address!r}"
    return match.group(1), int(match.group(2))


def service_for_host(host: str) -> str | None:
    """The compose service a hostname reaches: its name or one of its network aliases."""
    for name, service in compose()["services"].items():
        aliases = ((service.get("networks") or {}).get("default") or {}).get("aliases", [])
        if host == name or host in aliases:
            return name
    return None
