"""One reader of Sentry's times, and it reads a time without a zone as UTC (Sentry runs on UTC:
`src/sentry/conf/server.py` TIME_ZONE = "UTC"), whatever this machine's zone is."""

from __future__ import annotations

import time

import pytest

from sentry_exporter.parsing import parse_time

NOON = 1_773_144_000.0  # 2026-03-10T12:00:00Z; fixed-date: a test of parsing


@pytest.fixture
def in_tokyo(monkeypatch):
    """This process in UTC+9, as an exporter container with TZ=Asia/Tokyo would be."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("text", ["2026-03-10T12:00:00", "2026-03-10T12:00:00Z",  # fixed-date: parsing
                                  "2026-03-10T12:00:00+00:00", "2026-03-10T21:00:00+09:00",  # fixed-date: parsing
                                  "2026-03-10T12:00:00.000000"])  # fixed-date: parsing
def test_every_form_sentry_writes_is_the_same_instant_in_any_local_zone(in_tokyo, text):
    assert time.localtime(NOON).tm_hour == 21  # the zone did change
    assert parse_time(text) == NOON


@pytest.mark.parametrize("junk", [None, "", "yesterday", "2026-13-40T00:00:00", 1773144000, "9999999-01-01"])
def test_what_is_not_a_time_is_none(junk):
    assert parse_time(junk) is None
