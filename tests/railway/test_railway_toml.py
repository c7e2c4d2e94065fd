"""The legacy `railway.toml` (Config as Code, exporter only) is valid for Railway's schema and says
the same as the exporter service in `.railway/railway.ts`, so the two deploy paths cannot drift."""

from __future__ import annotations

import copy
import json
import tomllib

import jsonschema
import pytest

from railway_support import RAILWAY_TOML, SCHEMA, SERVICES, project, resources


@pytest.fixture(scope="module")
def config() -> dict:
    with RAILWAY_TOML.open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_railway_toml_validates_against_railways_schema(config, validator):
    errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(config)]
    assert not errors


def test_schema_rejects_the_lowercase_enums_of_the_docs_examples(config, validator):
    """Guards the check above: this schema only accepts uppercase enum values."""
    lowered = copy.deepcopy(config)
    lowered["build"]["builder"] = config["build"]["builder"].lower()
    lowered["deploy"]["restartPolicyType"] = config["deploy"]["restartPolicyType"].lower()
    assert len(list(validator.iter_errors(lowered))) == 2


def test_railway_toml_matches_the_exporter_in_railway_ts(config):
    exporter = resources(project(), "service")["exporter"]
    assert config["build"]["builder"] == exporter["build"]["builder"] == "DOCKERFILE"
    assert config["build"]["dockerfilePath"] == exporter["build"]["dockerfilePath"] == SERVICES["exporter"].dockerfile
    assert config["build"]["watchPatterns"] == exporter["build"]["watchPatterns"]
    for key in ("healthcheckPath", "healthcheckTimeout", "restartPolicyType", "restartPolicyMaxRetries"):
        assert config["deploy"][key] == exporter["deploy"][key], key
    assert "startCommand" not in config["deploy"], "the Dockerfile's CMD is the start command"


def test_railway_toml_says_it_is_the_legacy_path_and_when_it_stops_being_read():
    head = RAILWAY_TOML.read_text(encoding="utf-8").split("[build]")[0]
    assert "LEGACY" in head and "2026-12-01" in head and ".railway/railway.ts" in head  # fixed-date: a text
