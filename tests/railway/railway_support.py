"""Shared facts and helpers for the Railway deploy tests: the expected services, the evaluated
IaC project, and a small Dockerfile reader (no Docker engine runs here)."""

from __future__ import annotations

import functools
import glob
import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools import ROOT, require_tool, shared

RAILWAY_DIR = ROOT / ".railway"
RAILWAY_TS = RAILWAY_DIR / "railway.ts"
RAILWAY_TOML = ROOT / "railway.toml"
COMPOSE_FILE = ROOT / "docker-compose.yml"
EVALUATOR = Path(__file__).with_name("evaluate_railway.mjs")
SCHEMA = shared("schemas", "railway.schema.json")
PROJECT_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"  # any id: the CLI passes the linked project's


@dataclass(frozen=True)
class Expected:
    port: int
    healthcheck: str
    dockerfile: str
    mount: str | None  # volume mount path = the image's data directory; None = stateless
    extra_ports: tuple[int, ...] = ()


# The fixed contract between compose, Railway and the provisioning files (see the team brief).
SERVICES: dict[str, Expected] = {
    "exporter": Expected(8971, "/healthz", "exporter/Dockerfile", None),
    "prometheus": Expected(9090, "/-/ready", "provisioning/prometheus/Dockerfile", "/prometheus"),
    "grafana": Expected(3000, "/api/health", "provisioning/grafana/Dockerfile", "/var/lib/grafana"),
    "loki": Expected(3100, "/ready", "provisioning/loki/Dockerfile", "/loki"),
    "tempo": Expected(3200, "/ready", "provisioning/tempo/Dockerfile", "/var/tempo", (4317, 4318)),
    "alertmanager": Expected(9093, "/-/ready", "provisioning/alertmanager/Dockerfile", "/alertmanager"),
}
SECRET_VARIABLES = ("SENTRY_AUTH_TOKEN", "GF_SECURITY_ADMIN_PASSWORD",
                    "EXPORTER_BASIC_AUTH_PASSWORD", "EXPORTER_BEARER_TOKEN")


def ports_of(name: str) -> set[int]:
    return {SERVICES[name].port, *SERVICES[name].extra_ports}


# --- node / TypeScript -------------------------------------------------------------------------

def node_tools() -> Path:
    """.railway/node_modules/.bin, installing the pinned packages from the lockfile when missing."""
    require_tool("node")
    bin_dir = RAILWAY_DIR / "node_modules" / ".bin"
    if not (bin_dir / "tsc").exists() or not (bin_dir / "tsx").exists():
        npm = require_tool("npm")
        # railway@3.x declares node>=22 but evaluates fine on Node 20; do not let npm refuse it.
        result = subprocess.run([npm, "ci", "--engine-strict=false", "--no-audit", "--no-fund"],
                                cwd=RAILWAY_DIR, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            pytest.fail(f"npm ci in .railway failed:\n{result.stderr[-2000:]}")
    return bin_dir


def evaluate(path: Path = RAILWAY_TS, environment: str = "production", project_id: str = PROJECT_ID) -> dict:
    """The project definition railway.ts returns for one environment, evaluated offline with tsx."""
    node = require_tool("node")
    bin_dir = node_tools()
    result = subprocess.run([node, "--import", "tsx", str(EVALUATOR), str(path), environment, project_id],
                            cwd=RAILWAY_DIR, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    if result.returncode != 0:
        pytest.fail(f"evaluating {path.name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


@functools.lru_cache(maxsize=None)
def project(environment: str = "production", project_id: str = PROJECT_ID) -> dict:
    return evaluate(RAILWAY_TS, environment, project_id)


def resources(definition: dict, kind: str) -> dict[str, dict]:
    return {r["name"]: r for r in definition["resources"] if r["type"] == kind}


def literal_variables(svc: dict) -> dict[str, str]:
    return {k: v["value"] for k, v in svc.get("variables", {}).items() if v["type"] == "literal"}


# --- Dockerfiles -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    stage: int  # index of the FROM stage it belongs to


def read_dockerfile(path: Path) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments inside a continued instruction are ignored by Docker too
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text, pending = (pending + line).strip(), ""
        if not text:
            continue
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, args.strip(), stage))
    return instructions


def _words(args: str) -> list[str]:
    """Exec form (JSON array) or shell form, as a list of words."""
    if args.startswith("["):
        return json.loads(args)
    return shlex.split(args)


def _split_flags(args: str) -> tuple[dict[str, str], list[str]]:
    """Leading --flags of COPY/ADD, then the remaining words (exec or shell form)."""
    match = re.match(r"((?:--\S+\s+)*)(.*)", args.strip(), re.S)
    flags = {}
    for flag in match.group(1).split():
        key, _, value = flag[2:].partition("=")
        flags[key] = value
    return flags, _words(match.group(2))


def _arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    defaults = {}
    for ins in instructions:
        if ins.keyword == "ARG" and "=" in ins.args:
            key, _, value = ins.args.partition("=")
            defaults[key.strip()] = value.strip().strip('"')
    return defaults


def _expand(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), m.group(0)), text)


def copy_sources(path: Path) -> list[str]:
    """Build-context paths that COPY/ADD read (not --from stages, URLs or heredocs)."""
    instructions = read_dockerfile(path)
    args = _arg_defaults(instructions)
    sources = []
    for ins in instructions:
        if ins.keyword not in ("COPY", "ADD"):
            continue
        flags, words = _split_flags(ins.args)
        if "from" in flags:
            continue
        for source in words[:-1]:
            if source.startswith("<<") or re.match(r"^[a-z]+://", source):
                continue
            sources.append(_expand(source, args))
    return sources


def missing_context_paths(dockerfile: Path) -> list[str]:
    return [s for s in copy_sources(dockerfile) if not glob.glob(str(ROOT / s.lstrip("/")))]


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max((i.stage for i in instructions), default=0)
    return [i for i in instructions if i.stage == last]


def image_env(instructions: list[Instruction]) -> dict[str, str]:
    """ENV values of the final stage (both `ENV K=V ...` and the legacy `ENV K V`)."""
    env: dict[str, str] = {}
    for ins in final_stage(instructions):
        if ins.keyword != "ENV":
            continue
        words = shlex.split(ins.args)
        if words and "=" not in words[0]:
            env[words[0]] = " ".join(words[1:])
            continue
        for word in words:
            key, _, value = word.partition("=")
            env[key] = value
    return env


def container_command(path: Path) -> list[str]:
    """ENTRYPOINT + CMD of the final stage, as Docker would run them."""
    entrypoint: list[str] = []
    cmd: list[str] = []
    for ins in final_stage(read_dockerfile(path)):
        if ins.keyword == "ENTRYPOINT":
            entrypoint, cmd = _shell_wrapped(ins.args), []  # a new ENTRYPOINT resets CMD
        elif ins.keyword == "CMD":
            cmd = _shell_wrapped(ins.args)
    return entrypoint + cmd


def _shell_wrapped(args: str) -> list[str]:
    return json.loads(args) if args.startswith("[") else ["/bin/sh", "-c", args]


def copied_files(path: Path) -> dict[str, Path]:
    """{path inside the image: file in the repository} for files COPY puts into the image."""
    files: dict[str, Path] = {}
    for ins in read_dockerfile(path):
        if ins.keyword not in ("COPY", "ADD"):
            continue
        flags, words = _split_flags(ins.args)
        if "from" in flags or len(words) < 2:
            continue
        destination = words[-1]
        for source in words[:-1]:
            for match in glob.glob(str(ROOT / source.lstrip("/"))):
                match = Path(match)
                if match.is_file():
                    inside = destination + match.name if destination.endswith("/") else destination
                    files[inside] = match
    return files
