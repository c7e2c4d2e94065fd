"""Where users run the stack, the two settings that arm the P0 page are in sight, with the example."""
from __future__ import annotations

import re

import pytest
from stackfiles import ROOT, compose

FILES = {"compose": "docker-compose.yml", "env": ".env.example", "railway": ".railway/railway.ts",
         "chart": "charts/sentry-exporter/values.yaml"}


@pytest.mark.parametrize("where", sorted(FILES))
def test_both_settings_are_shown_with_the_example(where):
    lines = (ROOT / FILES[where]).read_text(encoding="utf-8").splitlines()
    for setting in ("SENTRY_IMPACT_TAGS", "SENTRY_ISSUE_LABEL_TAGS"):
        at = [i for i, line in enumerate(lines) if setting in line]
        assert at, f"{FILES[where]} does not show {setting}"
        near = "\n".join(lines[max(0, at[0] - 3):at[-1] + 3])
        assert "workspace_id" in near and "release_stage" in near, f"{FILES[where]}: {setting} without the example"


def test_compose_and_railway_pass_them_to_the_exporter():
    environment = compose()["services"]["exporter"]["environment"]
    railway = (ROOT / FILES["railway"]).read_text(encoding="utf-8")
    for setting in ("SENTRY_IMPACT_TAGS", "SENTRY_ISSUE_LABEL_TAGS"):
        assert environment[setting] == f"${{{setting}:-}}"
        assert re.search(rf"^\s+{setting}: ctx\.shared\.{setting},$", railway, re.M), setting
