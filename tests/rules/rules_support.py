"""Paths and helpers shared by the rule and Alertmanager tests (not a conftest: its name must be unique)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "provisioning" / "prometheus" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.rules.yml"))
RULE_TESTS = sorted((RULES_DIR / "tests").glob("*.test.yml"))
ALERTMANAGER_DIR = ROOT / "provisioning" / "alertmanager"
RENDER_SCRIPT = ALERTMANAGER_DIR / "render_config.py"


def render(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run the real render script with exactly this environment."""
    return subprocess.run([sys.executable, str(RENDER_SCRIPT), *args], env=env,
                          capture_output=True, text=True, timeout=30)


def render_to(tmp_path: Path, env: dict[str, str], name: str = "alertmanager.yml") -> Path:
    out = tmp_path / name
    result = render(env, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def all_rules() -> list[dict]:
    return [rule for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"]]
