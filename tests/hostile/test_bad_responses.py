"""Hostile response bodies against the real client and every poller: no crash, valid output, counted.

Hypothesis drives one endpoint at a time with contract-shaped-but-wrong or plainly broken bodies
while the others answer validly, so every poller's parsing is reached. A few of the expositions
go through the real `promtool check metrics`.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings

from badservers import Reply, ScriptedServer, json_reply
from payloads import ISO, endpoint_pages
from pipeline import Pipeline, check_exposition
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.errors import MalformedResponse, SentryError
from sentry_exporter.sentry.flavor import ServerKind, detect
from tools import require_tool

VALID = {
    "projects": [{"id": "1", "slug": "api", "platform": "python"}, {"id": "2", "slug": "web", "platform": "js"}],
    "issues": [{"id": "101", "shortId": "API-1", "title": "KeyError: 'x'", "culprit": "app.py", "level": "error",
                "status": "unresolved", "substatus": "ongoing", "priority": "high", "assignedTo": None,
                "permalink": "https://sentry.io/issues/101/", "count": "12", "userCount": 3, "firstSeen": ISO,
                "lastSeen": ISO, "lifetime": {"count": "40", "firstSeen": ISO, "lastSeen": ISO},
                "project": {"id": "1", "slug": "api"}}],
    "stats_v2": {"groups": [{"by": {"project": 1, "category": "error", "outcome": "accepted"},
                             "totals": {"sum(quantity)": 5}}]},
    "events": {"data": [{"issue": "API-1", "project": "api", "count()": 9, "count_unique(tags[workspace_id])": 2,
                         "count_unique(tags[tenant_id])": 1, "tags[release_stage]": "ga"}]},
    "releases": [{"version": "1.0", "projects": [{"slug": "api", "id": 1}]}],
    "sessions": {"groups": [{"by": {"project": 1, "release": "1.0", "environment": "production"},
                             "totals": {"sum(session)": 10, "crash_free_rate(session)": 0.9,
                                        "crash_free_rate(user)": 0.95}}]},
}


def script_for(endpoint: str, pages: list[tuple[bytes, str | None]]):
    def script(name: str, params: dict) -> Reply:
        if name != endpoint:
            return json_reply(VALID[name])
        index = int(params.get("cursor", ["0:0:0"])[0].split(":")[1])
        if index >= len(pages):
            return json_reply([])  # past the last page: an empty page with no next link
        body, cursor = pages[index]
        return Reply(200, body, json_reply([], next_cursor=cursor).headers)
    return script


@pytest.mark.parametrize("endpoint", list(VALID))
def test_wrong_bodies_never_crash_and_are_counted(endpoint, scripted):
    server = scripted()
    expositions = []

    @settings(max_examples=int(__import__("os").environ.get("HOSTILE_EXAMPLES", 60)), deadline=5000, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(pages=endpoint_pages(endpoint))
    def run(pages):
        server.script = script_for(endpoint, pages)
        pipeline = Pipeline(server.url)
        t0 = time.monotonic()
        try:
            outcome = pipeline.run()  # raises on anything but a SentryError: a crash
        finally:
            pipeline.close()
        assert time.monotonic() - t0 < 5, "polling must end: no endless pagination"
        check_exposition(outcome.exposition)
        for poller, error in outcome.errors.items():
            if isinstance(error, MalformedResponse):
                assert outcome.malformed.get(error.endpoint, 0) >= 1, f"{poller}: {error} was not counted"
        if any(not isinstance(i, dict) for i in _items(endpoint, pages)):
            assert outcome.malformed, "a non-object item must be counted"
        expositions.append(outcome.exposition)

    run()
    promtool = require_tool("promtool")
    # A handful of the most varied outputs through the real linter (every example would be slow).
    for text in sorted(expositions, key=len)[-3:] + expositions[:2]:
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, timeout=30)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()


def _items(endpoint: str, pages) -> list:
    """The list items the pollers were served on the first page (where a non-object must be counted)."""
    body, _ = pages[0]
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return []
    if isinstance(data, dict):
        data = data.get({"stats_v2": "groups", "events": "data", "sessions": "groups"}.get(endpoint, ""))
    return data if isinstance(data, list) else []


@pytest.mark.parametrize("reply, kind", [
    # Sentry: src/sentry/web/urls.py redirects ^api/[^0]+/?$ to its API settings page
    (Reply(302, b"", {"Location": "/settings/account/api/"}), "sentry"),
    (Reply(404, b"<html>Not Found</html>", {"Content-Type": "text/html"}), "sentry"),  # a proxy's page
    (Reply(200, b"<html>app</html>", {"Content-Type": "text/html"}), "sentry"),       # a catch-all page
    (json_reply({"version": "0"}), "sentry"),
    (json_reply({"iPaidForGlitchTip": False, "version": "5.2.0"}), "glitchtip"),      # get_settings
])
def test_the_kind_probe_reads_any_answer_but_glitchtips_settings_as_sentry(reply, kind):
    server = ScriptedServer(lambda endpoint, params: reply)
    client = SentryClient(server.url, "t0ken", max_attempts=1)
    try:
        assert detect(client).name == kind
        assert client.stats.copy()[1] == {}  # an answer that is not GlitchTip's is no malformed response
    finally:
        client.close()
        server.stop()


def test_no_answer_to_the_kind_probe_leaves_the_kind_unknown_for_the_next_poll():
    answers = [Reply(503, b"busy"), json_reply({"iPaidForGlitchTip": True, "version": "5.2.0"})]
    server = ScriptedServer(lambda endpoint, params: answers[0])
    client = SentryClient(server.url, "t0ken", max_attempts=1)
    try:
        kind = ServerKind(client)
        with pytest.raises(SentryError):
            kind.get()
        assert kind.flavor is None
        answers.pop(0)
        assert kind.get().name == "glitchtip" and kind.get().name == "glitchtip"
        assert len(server.seen) == 2  # asked again after no answer, then kept
    finally:
        client.close()
        server.stop()
