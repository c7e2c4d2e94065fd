"""What the simulator's tests share: a fixed "now", the token, an API client, Link and schema checks.

A module of its own, not conftest.py: every test directory has a conftest, so ``from conftest import``
finds whichever one was imported first.
"""

from __future__ import annotations

import re

import requests
from openapi_schema_validator import OAS30Validator
from tools import SHARED, TOKEN

NOW = 1_790_000_000.0  # a fixed "now" so every count is reproducible
OPENAPI = SHARED / "sentry-api" / "openapi-subset.json"
LINK = re.compile(r'<(?P<url>[^>]*)>; rel="(?P<rel>previous|next)"; results="(?P<results>true|false)"; '
                  r'cursor="(?P<cursor>[^"]*)"')

__all__ = ["NOW", "OPENAPI", "TOKEN", "Api", "assert_valid", "parse_link", "response_schema"]


def response_schema(openapi: dict, path: str) -> dict:
    return openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def assert_valid(schema: dict, instance) -> None:
    errors = sorted(OAS30Validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def parse_link(header: str) -> dict:
    """{"previous": {...}, "next": {...}} from a Link header; asserts the exact shape of both links."""
    links = {m.group("rel"): m.groupdict() for m in LINK.finditer(header)}
    assert list(links) == ["previous", "next"], header
    assert header == ", ".join(m.group(0) for m in LINK.finditer(header)), header
    return links


class Api:
    """GET helper bound to a server and token."""

    def __init__(self, server, token: str = TOKEN):
        self.server = server
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, params=None, **kwargs) -> requests.Response:
        return self.session.get(f"{self.server.url}/api/0/{path}", params=params, timeout=10, **kwargs)

    def json(self, path: str, params=None):
        response = self.get(path, params)
        assert response.status_code == 200, response.text
        return response.json()

    def all_pages(self, path: str, params: dict) -> list[requests.Response]:
        """Follows rel="next" by reusing its cursor against our own base URL until results="false"."""
        params = dict(params)
        pages = []
        while True:
            response = self.get(path, params)
            assert response.status_code == 200, response.text
            pages.append(response)
            nxt = parse_link(response.headers["Link"])["next"]
            if nxt["results"] == "false":
                return pages
            params["cursor"] = nxt["cursor"]
