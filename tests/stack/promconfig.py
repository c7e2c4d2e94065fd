"""The shipped Prometheus config, copied where Debian's Prometheus can use it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from stackfiles import PROMETHEUS_DIR, dockerfile_instructions

CONTAINER_RULES = "/etc/prometheus/rules"
CONTAINER_SECRETS = "/etc/prometheus/secrets"


def image_flags() -> list[str]:
    """The Prometheus flags of the Dockerfile's CMD."""
    cmd = [a for w, a in dockerfile_instructions(PROMETHEUS_DIR / "Dockerfile") if w == "CMD"][-1]
    return json.loads(cmd)


def localize(config: dict, workdir: Path, token: str = "") -> dict:
    """Point the container paths at `workdir`, with the rule files copied and the token file written
    as the image's entrypoint would."""
    (workdir / "rules").mkdir(parents=True, exist_ok=True)
    (workdir / "secrets").mkdir(exist_ok=True)
    for rule_file in (PROMETHEUS_DIR / "rules").glob("*.yml"):
        shutil.copy(rule_file, workdir / "rules")
    (workdir / "secrets" / "exporter-bearer-token").write_text(token)
    text = yaml.safe_dump(config).replace(CONTAINER_RULES, str(workdir / "rules"))
    return yaml.safe_load(text.replace(CONTAINER_SECRETS, str(workdir / "secrets")))


def write(config: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
