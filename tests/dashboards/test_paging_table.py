"""The impact dashboard's "Issues over the paging threshold" table, evaluated by promtool on series where a
paging issue is not among the top issues that carry sentry_issue_info (a separate top N by events)."""
from __future__ import annotations

import subprocess

import yaml
from dashboard_json import generated, panels
from promstack import substitute
from tools import require_tool

SERIES = 'job="sentry-exporter", instance="exporter:8971", org="acme"'


def table_expr() -> str:
    panel = next(p for p in panels(generated()["sentry-impact"]) if p["title"] == "Issues over the paging threshold")
    return substitute(panel["targets"][0]["expr"], {"org": ".*", "project": ".*", "tag": ".*", "assignee": ".*"})


def test_a_paging_issue_outside_the_top_issues_keeps_its_row(tmp_path):
    labels = 'project="api", tag="workspace_id", release_stage="GA"'
    case = {"evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [
            {"series": f'sentry_impact_threshold{{tag="workspace_id", release_stage="GA", {SERIES}}}', "values": "2x5"},
            # API-1: a top issue, so titled.  API-2: quiet, pages, but not in the top N of sentry_issue_info.
            {"series": f'sentry_issue_tag_values{{issue="API-1", {labels}, assignee="ann", {SERIES}}}', "values": "4x5"},
            {"series": f'sentry_issue_info{{issue="API-1", project="api", title="KeyError", permalink="https://s/1/", '
                       f'level="error", {SERIES}}}', "values": "1x5"},
            {"series": f'sentry_issue_tag_values{{issue="API-2", {labels}, assignee="unassigned", {SERIES}}}',
             "values": "3x5"},
            {"series": f'sentry_issue_tag_values{{issue="API-3", {labels}, assignee="bob", {SERIES}}}', "values": "2x5"},
        ],
        "promql_expr_test": [{"expr": table_expr(), "eval_time": "4m", "exp_samples": [
            {"labels": f'{{issue="API-1", {labels}, assignee="ann", title="KeyError", permalink="https://s/1/", {SERIES}}}',
             "value": 4},
            {"labels": f'sentry_issue_tag_values{{issue="API-2", {labels}, assignee="unassigned", {SERIES}}}',
             "value": 3},
        ]}],
    }]}
    path = tmp_path / "table.test.yml"
    path.write_text(yaml.safe_dump(case))
    result = subprocess.run([require_tool("promtool"), "test", "rules", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
