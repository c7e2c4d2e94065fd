"""Every endpoint's success response validates against Sentry's published OpenAPI schema (trimmed copy)."""

from __future__ import annotations

import copy

import pytest
from openapi_schema_validator import OAS30Validator
from simapi import assert_valid, response_schema

ORG = "/api/0/organizations/{organization_id_or_slug}/"
# The schema lists these as required, but Sentry only adds them with the matching `expand=` (contract 4b).
EXPAND_ONLY = {"inbox", "owners", "integrationIssues", "sentryAppIssues", "latestEventHasAttachments",
               "sessionCount"}


def _issue_schema(openapi, drop_required=EXPAND_ONLY):
    schema = copy.deepcopy(response_schema(openapi, ORG + "issues/"))
    schema["items"]["required"] = [r for r in schema["items"]["required"] if r not in drop_required]
    return schema


@pytest.mark.parametrize("path, schema_path, params", [
    ("organizations/acme/projects/", ORG + "projects/", None),
    ("organizations/acme/stats_v2/", ORG + "stats_v2/",
     {"field": "sum(quantity)", "groupBy": ["outcome", "category"], "statsPeriod": "2d"}),
    ("organizations/acme/stats_v2/", ORG + "stats_v2/",
     {"field": ["sum(quantity)", "sum(times_seen)"], "groupBy": "reason", "category": "error", "interval": "1d",
      "statsPeriod": "7d"}),
    ("organizations/acme/events/", ORG + "events/",
     {"dataset": "errors", "field": ["issue", "project", "count()", "count_unique(user)",
                                     "count_unique(tags[workspace_id])"], "statsPeriod": "24h", "sort": "-count()"}),
    ("organizations/acme/releases/", ORG + "releases/", {"per_page": "5"}),
    ("organizations/acme/sessions/", ORG + "sessions/",
     {"field": ["sum(session)", "count_unique(user)", "crash_free_rate(session)", "crash_free_rate(user)"],
      "groupBy": ["project", "release", "environment"], "statsPeriod": "24h"}),
    ("organizations/acme/sessions/", ORG + "sessions/",
     {"field": "sum(session)", "groupBy": "session.status", "statsPeriod": "48h", "interval": "6h"}),
])
def test_success_bodies_match_the_published_schema(api, openapi, path, schema_path, params):
    body = api.json(path, params)
    assert body, f"{path} returned nothing to validate"
    assert_valid(response_schema(openapi, schema_path), body)


@pytest.mark.parametrize("params", [
    {"query": "is:unresolved", "statsPeriod": "14d"},
    {"query": "is:unresolved workspace_id:ws-1", "statsPeriod": "90d", "groupStatsPeriod": "14d"},
    {"query": "", "environment": "production", "sort": "freq", "groupStatsPeriod": "auto", "statsPeriod": "24h"},
    {},
])
def test_issue_list_matches_schema_except_expand_only_fields(api, openapi, params):
    body = api.json("organizations/acme/issues/", params)
    assert body
    assert_valid(_issue_schema(openapi), body)
    assert not EXPAND_ONLY & set(body[0]), "expand-only fields must be absent without expand="


def test_expanded_issue_list_matches_the_full_schema(api, openapi):
    expands = ["inbox", "integrationIssues", "sentryAppIssues", "latestEventHasAttachments", "sessions"]
    body = api.json("organizations/acme/issues/", {"query": "is:unresolved", "expand": expands})
    assert_valid(_issue_schema(openapi, drop_required={"owners"}), body)
    assert {"inbox", "sessionCount", "integrationIssues"} <= set(body[0])


def test_schema_check_is_not_vacuous(api, openapi):
    """The validator rejects a real issue whose count is a number: the mistake this suite guards against."""
    body = api.json("organizations/acme/issues/", {"query": "is:unresolved", "limit": 1})
    body[0]["count"] = int(body[0]["count"])
    errors = list(OAS30Validator(_issue_schema(openapi)).iter_errors(body))
    assert [list(e.path) for e in errors] == [[0, "count"]]
