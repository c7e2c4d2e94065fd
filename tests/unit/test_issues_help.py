"""sentry_issues says what it counts: unresolved issues with events in SENTRY_ISSUES_PERIOD (CONTRACT.md §0.13)."""

from __future__ import annotations

from pathlib import Path

from inprocess import run

DOC = Path(__file__).resolve().parents[2] / "docs" / "exporter.md"


def test_the_help_and_the_docs_say_issues_with_events_in_the_window(exporter, org, clock):
    issue = org.create_issue("api", substatus="ongoing")
    org.record_events(issue.id, 1, at=clock() - 60)
    e = exporter(issues_period="7d")
    run(e, "issues")
    help_text = next(f.documentation for f in e.registry.collect() if f.name == "sentry_issues")
    assert "Unresolved issues with events in the last 7d (SENTRY_ISSUES_PERIOD)" in help_text
    assert "**unresolved issues with events in `SENTRY_ISSUES_PERIOD`**" in DOC.read_text(encoding="utf-8")
