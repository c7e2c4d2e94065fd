"""403 lines that say why (CONTRACT.md §0.2): an org auth token (sntrys_) carries only org:ci, and
every 403 quotes the server's own detail, masked and cut, next to the scopes we need."""

from __future__ import annotations

import json

import pytest

from clientrig import scripted_servers
from hostile.badservers import Reply, ScriptedServer, json_reply
from sentry_exporter.config import REQUIRED_SCOPES
from sentry_exporter.sentry.client import SentryClient
from sentry_exporter.sentry.errors import AuthError

DRF_403 = "You do not have permission to perform this action."


@pytest.fixture
def rejecting():
    with scripted_servers() as start:
        yield lambda reply: start(lambda endpoint, params: reply)


def rejection(server: ScriptedServer, token: str) -> str:
    client = SentryClient(server.url, token, max_attempts=1, sleep=lambda seconds: None)
    with pytest.raises(AuthError) as caught:
        client.get_json("issues", "organizations/acme/issues/")
    client.close()
    text = str(caught.value)
    assert token not in text and "\n" not in text
    return text


def test_an_org_auth_token_is_named_with_the_tokens_that_work(rejecting):
    line = rejection(rejecting(json_reply({"detail": DRF_403}, status=403)), "sntrys_org_token_0001")
    assert "org auth token" in line and "org:ci" in line
    assert "sntryu_" in line and "internal integration" in line and REQUIRED_SCOPES in line
    assert DRF_403 in line


def test_a_user_token_403_quotes_the_servers_own_reason(rejecting):
    body = json.dumps("You need the scope project:releases to read releases").encode()
    line = rejection(rejecting(Reply(403, body, {"Content-Type": "text/html"})), "sntryu_user_token_0001")
    assert "project:releases to read releases" in line and REQUIRED_SCOPES in line
    assert "org:ci" not in line


def test_sentrys_nested_detail_message_is_quoted(rejecting):
    reply = json_reply({"detail": {"code": "sso-required", "message": "Must login via SSO", "extra": {}}},
                       status=403)
    assert "Must login via SSO" in rejection(rejecting(reply), "sntryu_user_token_0002")


def test_the_token_is_masked_before_the_detail_is_cut(rejecting):
    token = "sntryu_" + "f" * 64
    reply = json_reply({"detail": "x" * 180 + f" {token} was sent"}, status=403)
    line = rejection(rejecting(reply), token)
    assert "sntryu_fff" not in line  # no prefix of the token survives the cut
