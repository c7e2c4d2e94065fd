"""A JSON log line's "level" is the record's: "issue new" lines are info, whatever the issue's own level.
Log pipelines filter and page on "level"; an issue's level there made every new error issue an error line."""

from __future__ import annotations

import json
import logging

from inprocess import run
from sentry_exporter.telemetry.logs import JsonFormatter


def test_an_issue_transition_line_is_info_and_carries_the_issue_level_apart(exporter, org, clock, caplog):
    e = exporter()
    run(e, "issues")  # the baseline
    fatal = org.create_issue("api", level="fatal")
    org.record_events(fatal.id, 2, at=clock() - 5)
    clock.advance(60)
    with caplog.at_level(logging.INFO, logger="sentry_exporter"):
        run(e, "issues")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.getMessage().startswith("issue new")]
    assert len(lines) == 1
    assert lines[0]["level"] == "info" and lines[0]["issue_level"] == "fatal", lines[0]


def test_an_extra_field_never_replaces_the_lines_own_fields():
    record = logging.LogRecord("sentry_exporter.x", logging.INFO, __file__, 1, "hello", (), None)
    record.__dict__.update({"level": "error", "msg_id": 7, "logger": "other"})
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["msg"]) == ("info", "sentry_exporter.x", "hello")
    assert (line["extra_level"], line["extra_logger"], line["msg_id"]) == ("error", "other", 7)
