"""The README is a front page: short, its two commands first and true, its links alive, its picture
of the overview dashboard drawn from the dashboard itself, and the Compose version it needs said first."""

from __future__ import annotations

import json
import os
import re
import subprocess

from stackfiles import ROOT, compose

README = ROOT / "README.md"
STACK_DOC = ROOT / "docs" / "stack.md"
OVERVIEW = ROOT / "dashboards" / "generated" / "sentry-overview.json"


def text() -> str:
    return README.read_text(encoding="utf-8")


def test_the_readme_is_a_front_page_of_at_most_150_lines():
    assert len(text().splitlines()) <= 150


def test_the_two_commands_come_first_and_name_what_exists():
    first_block = re.search(r"```sh\n(.*?)```", text(), re.S)[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["docker compose up -d", "./run-tests"]
    assert text().index("```sh") < text().index("\n## "), "the commands come before any section"
    assert (ROOT / "docker-compose.yml").is_file()
    assert os.access(ROOT / "run-tests", os.X_OK)


def test_the_no_docker_command_starts_an_exporter_that_has_a_demo_mode():
    assert ".venv/bin/pip install ./exporter && .venv/bin/sentry-exporter --demo" in text()
    exporter = ROOT / ".venv" / "bin" / "sentry-exporter"
    result = subprocess.run([str(exporter), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--demo" in result.stdout


def test_the_compose_version_the_file_needs_is_said_first():
    """`env_file: {path, required}` exists from Compose 2.24.0 on (docker/docs PR #20740)."""
    long_syntax = [name for name, service in compose()["services"].items()
                   if any(isinstance(entry, dict) for entry in service.get("env_file", []))]
    assert long_syntax, "no long env_file syntax left: drop the version note"
    for doc in (README, STACK_DOC):
        opening = doc.read_text(encoding="utf-8").split("\n## ", 1)[0]
        assert "Docker Compose 2.24.0 or newer" in opening, f"{doc.name} must say it before its first section"


def test_every_relative_link_resolves():
    for doc in [README, *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if not re.match(r"[a-z]+:", target):
                assert (doc.parent / target).exists(), f"{doc.relative_to(ROOT)} links to missing {target}"


def test_the_overview_picture_shows_every_panel_in_grid_order():
    picture = re.search(r"```\n( Sentry overview .*?)```", text(), re.S)[1]
    panels = sorted(json.loads(OVERVIEW.read_text())["panels"],
                    key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"]))
    rows: dict[int, list[str]] = {}
    for panel in panels:
        rows.setdefault(panel["gridPos"]["y"], []).append(panel["title"])
    drawn = [line for line in picture.splitlines() if line.startswith("│")]
    for titles in rows.values():
        line = next((line for line in drawn if titles[0] in line), "")
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        assert cells == titles, f"the picture's row {cells} is not the dashboard's {titles}"
