"""docs/exporter.md's configuration table is the one in config.py, rendered: a drift fails here."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from sentry_exporter.config import Config

DOC = Path(__file__).resolve().parents[2] / "docs" / "exporter.md"
HEADER = "| variable | default | meaning |"


def shown(value) -> str:
    if value in (None, ()):
        return "none"
    if value is False:
        return "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"`{value}`" if isinstance(value, str) else str(value)


def rendered() -> str:
    lines = [HEADER, "|---|---|---|"]
    for f in fields(Config):
        row = f.metadata["setting"]
        names = f"`{row.env}`" + (f" / `{row.env}_FILE`" if row.from_file else "") \
            + "".join(f" (alias `{a}`)" for a in row.aliases)
        lines.append(f"| {names} | {row.shown_default or shown(f.default)} | {row.doc} |")
    return "\n".join(lines)


def test_documented_configuration_table_is_the_config_table():
    text = DOC.read_text(encoding="utf-8")
    found = re.search(re.escape(HEADER) + r"\n(?:\|.*\n)+", text)
    assert found, f"docs/exporter.md has no table starting with {HEADER}"
    assert found.group(0).rstrip("\n") == rendered(), \
        "docs/exporter.md's configuration table is out of date; replace it with:\n\n" + rendered()


def test_every_setting_has_a_one_line_doc():
    for f in fields(Config):
        doc = f.metadata["setting"].doc
        assert doc and "\n" not in doc and "|" not in doc, f.name
