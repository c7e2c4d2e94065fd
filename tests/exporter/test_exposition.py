"""The exposition is valid for promtool and label values survive whatever a title holds."""

import subprocess
import time

from tools import require_tool, sample_values

NASTY = 'KeyError: "quoted" \\ backslash\nnew line — ünïcödé ✓ {braces}=,'


def test_promtool_accepts_the_exposition_and_titles_round_trip(make_sim, make_exporter):
    promtool = require_tool("promtool")
    org, server = make_sim()
    issue = org.create_issue("billing", level="error", title=NASTY, culprit='app/"x".py\tin f', created=time.time())
    org.record_events(issue.id, n=100_000, at=time.time(), environment="production")
    text = make_exporter(server).wait_ready().metrics()
    check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    info = [dict(k) for k in sample_values(text, "sentry_issue_info")]
    mine = next(labels for labels in info if labels["issue"] == issue.short_id)
    assert mine["title"] == NASTY
    assert mine["culprit"] == 'app/"x".py\tin f'
