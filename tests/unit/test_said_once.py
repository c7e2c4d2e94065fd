"""A refused token is said once per poller and cause: another poller's success does not make it news
again (it did: one shared flag, cleared by any success, logged the issues' 403 at every poll)."""

from __future__ import annotations

import logging


def rejected(caplog) -> list[str]:
    return [getattr(r, "poller", "?") for r in caplog.records
            if r.levelno == logging.ERROR and "rejected the token" in r.getMessage()]


def test_a_403_on_issues_is_said_once_in_ten_cycles_while_other_pollers_work(exporter, caplog):
    e = exporter()
    exporter.server.faults.set(status=403, endpoint="issues")
    with caplog.at_level(logging.ERROR):
        for _ in range(10):
            e.poll_once()
        assert rejected(caplog) == ["issues"]
        exporter.server.faults.set(status=401, endpoint="stats_v2")  # another poller, another cause: news
        for _ in range(3):
            e.poll_once()
        assert rejected(caplog) == ["issues", "stats"]
        exporter.server.faults.clear()
        e.poll_once()  # both work again ...
        exporter.server.faults.set(status=403, endpoint="issues")
        e.poll_once()  # ... so a new refusal is news again
    assert rejected(caplog) == ["issues", "stats", "issues"]
