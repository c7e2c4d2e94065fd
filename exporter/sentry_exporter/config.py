"""Configuration: a frozen, validated object built once from a YAML file and the environment.

Every setting has one environment variable; a YAML file (`--config` or EXPORTER_CONFIG) may set the
same names in lower case, and the environment wins. Any bad value raises ConfigError with one line
naming the variable, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

import yaml

DEFAULT_PORT = 8971  # outside the 9100-9999 block of Prometheus' default-port allocations
PERIOD = re.compile(r"^[1-9][0-9]*[smhdw]$")
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
REQUIRED_SCOPES = "org:read, project:read, event:read"


class ConfigError(Exception):
    """A bad or missing setting; the message is one line that names the variable."""


@dataclass(frozen=True)
class NamedQuery:
    name: str
    query: str


@dataclass(frozen=True)
class Config:
    sentry_url: str
    org: str
    token: str = field(repr=False)
    demo: bool = False
    projects: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    issues_period: str = "14d"
    poll_interval: float = 60.0
    stats_interval: float = 300.0
    projects_refresh: float = 300.0
    max_issues: int = 10_000
    top_issues: int = 50
    max_issue_series: int = 1000
    max_requests_per_second: float = 5.0
    timeout: float = 30.0
    ca_bundle: str | None = None
    billing_day: int = 1
    quota_budgets: tuple[tuple[str, int], ...] = ()
    queries: tuple[NamedQuery, ...] = ()
    impact_tags: tuple[str, ...] = ()
    label_tags: tuple[str, ...] = ()
    impact_top: int = 50
    impact_interval: float = 300.0
    releases_per_project: int = 3
    releases_interval: float = 300.0
    host: str = "::"
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    log_format: str = "json"
    basic_auth_user: str | None = None
    basic_auth_password: str | None = field(default=None, repr=False)
    bearer_token: str | None = field(default=None, repr=False)


# ---- value parsers: each takes the raw value (str from env, any from YAML) and the variable name


def _text(value: Any, name: str) -> str:
    if isinstance(value, (dict, list)):
        raise ConfigError(f"{name} must be a single value")
    text = str(value).strip()
    if not text:
        raise ConfigError(f"{name} is empty")
    return text


def _number(kind: type, low: float, high: float) -> Callable[[Any, str], Any]:
    def parse(value: Any, name: str) -> Any:
        text = _text(value, name)
        try:
            number = kind(text)
        except ValueError:
            raise ConfigError(f"{name} must be a {'whole ' if kind is int else ''}number, got {text!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {text}")
        return number
    return parse


def _flag(value: Any, name: str) -> bool:
    text = _text(value, name).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/true or 0/false, got {text!r}")


def _list(value: Any, name: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(dict.fromkeys(s for s in (str(i).strip() for i in items) if s))


def _slugs(value: Any, name: str) -> tuple[str, ...]:
    slugs = _list(value, name)
    for slug in slugs:
        if not SLUG.match(slug):
            raise ConfigError(f"{name} has an invalid slug {slug!r}")
    return slugs


def _slug(value: Any, name: str) -> str:
    text = _text(value, name)
    if not SLUG.match(text):
        raise ConfigError(f"{name} must be an organization slug such as 'acme', got {text!r}")
    return text


def _period(value: Any, name: str) -> str:
    text = _text(value, name)
    if not PERIOD.match(text):
        raise ConfigError(f"{name} must be a Sentry period such as 24h or 14d, got {text!r}")
    return text


def _url(value: Any, name: str) -> str:
    text = _text(value, name).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL such as https://sentry.io, got {text!r}")
    if parts.username or parts.password:
        raise ConfigError(f"{name} must not carry credentials; use SENTRY_AUTH_TOKEN")
    if parts.path.rstrip("/").endswith("/api/0"):
        text = text[: -len("/api/0")]  # people paste the API root; we add it ourselves
    return text


def _readable_file(value: Any, name: str) -> str:
    path = _text(value, name)
    try:
        Path(path).open("rb").close()
    except OSError as e:
        raise ConfigError(f"{name}: cannot read {path}: {e.strerror}") from None
    return path


def _choice(*choices: str) -> Callable[[Any, str], str]:
    def parse(value: Any, name: str) -> str:
        text = _text(value, name)
        if text.lower() not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {text!r}")
        return text.lower()
    return parse


def _secret(value: Any, name: str) -> str:
    text = _text(value, name)
    if any(c.isspace() for c in text):
        raise ConfigError(f"{name} must not contain whitespace")
    return text


def label_name(tag: str) -> str:
    """A Prometheus label name for a Sentry tag: `os.name` -> `os_name`."""
    name = re.sub(r"[^a-zA-Z0-9_]", "_", tag)
    return name if re.match(r"[a-zA-Z_]", name) and not name.startswith("__") else f"tag_{name}"


RESERVED_LABELS = {"issue", "project", "tag", "assignee", "job", "instance"}


def _tags(limit: int) -> Callable[[Any, str], tuple[str, ...]]:
    def parse(value: Any, name: str) -> tuple[str, ...]:
        tags = _list(value, name)
        if len(tags) > limit:
            raise ConfigError(f"{name} takes at most {limit} tags (a Discover query has 20 fields)")
        for tag in tags:
            if label_name(tag) in RESERVED_LABELS:
                raise ConfigError(f"{name}: tag {tag!r} would clash with the label {label_name(tag)!r}")
        return tags
    return parse


def _budgets(value: Any, name: str) -> tuple[tuple[str, int], ...]:
    pairs = value.items() if isinstance(value, dict) else (p.split("=", 1) for p in _list(value, name))
    budgets = []
    for pair in pairs:
        if len(pair) != 2:
            raise ConfigError(f"{name} must look like error=100000,transaction=500000")
        category, amount = pair
        budgets.append((_text(category, name), _number(int, 0, 10**15)(amount, name)))
    return tuple(budgets)


def _queries(value: Any, name: str) -> tuple[NamedQuery, ...]:
    if not isinstance(value, list) or not all(isinstance(q, dict) for q in value):
        raise ConfigError(f"{name} must be a list of {{name: ..., query: ...}}")
    queries = []
    for entry in value:
        if set(entry) != {"name", "query"}:
            raise ConfigError(f"{name} entries take exactly the keys name and query")
        queries.append(NamedQuery(_text(entry["name"], f"{name}.name"), _text(entry["query"], f"{name}.query")))
    if len({q.name for q in queries}) != len(queries):
        raise ConfigError(f"{name} has two queries with the same name")
    return tuple(queries)


# variable name -> (Config field, parser). File keys are the same names in lower case.
SETTINGS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "SENTRY_URL": ("sentry_url", _url),
    "SENTRY_ORG": ("org", _slug),
    "SENTRY_DEMO": ("demo", _flag),
    "SENTRY_PROJECTS": ("projects", _slugs),
    "SENTRY_ENVIRONMENTS": ("environments", _list),
    "SENTRY_ISSUES_PERIOD": ("issues_period", _period),
    "SENTRY_POLL_INTERVAL_SECONDS": ("poll_interval", _number(float, 1, 86400)),
    "SENTRY_STATS_INTERVAL_SECONDS": ("stats_interval", _number(float, 1, 86400)),
    "SENTRY_PROJECTS_REFRESH_SECONDS": ("projects_refresh", _number(float, 1, 86400)),
    "SENTRY_MAX_ISSUES": ("max_issues", _number(int, 100, 10_000_000)),
    "SENTRY_TOP_ISSUES": ("top_issues", _number(int, 0, 1000)),
    "SENTRY_MAX_ISSUE_SERIES": ("max_issue_series", _number(int, 10, 1_000_000)),
    "SENTRY_MAX_REQUESTS_PER_SECOND": ("max_requests_per_second", _number(float, 0.1, 100)),
    "SENTRY_TIMEOUT_SECONDS": ("timeout", _number(float, 1, 600)),
    "SENTRY_CA_BUNDLE": ("ca_bundle", _readable_file),
    "SENTRY_BILLING_DAY": ("billing_day", _number(int, 1, 28)),
    "SENTRY_QUOTA_BUDGETS": ("quota_budgets", _budgets),
    "SENTRY_QUERIES": ("queries", _queries),
    "SENTRY_IMPACT_TAGS": ("impact_tags", _tags(17)),
    "SENTRY_ISSUE_LABEL_TAGS": ("label_tags", _tags(18)),
    "SENTRY_IMPACT_TOP_ISSUES": ("impact_top", _number(int, 1, 100)),
    "SENTRY_IMPACT_INTERVAL_SECONDS": ("impact_interval", _number(float, 1, 86400)),
    "SENTRY_RELEASES_PER_PROJECT": ("releases_per_project", _number(int, 0, 20)),
    "SENTRY_RELEASES_INTERVAL_SECONDS": ("releases_interval", _number(float, 1, 86400)),
    "EXPORTER_HOST": ("host", _text),
    "EXPORTER_PORT": ("port", _number(int, 1, 65535)),
    "LOG_LEVEL": ("log_level", _choice("debug", "info", "warning", "error")),
    "LOG_FORMAT": ("log_format", _choice("json", "text")),
    "EXPORTER_BASIC_AUTH_USER": ("basic_auth_user", _text),
    "EXPORTER_BASIC_AUTH_PASSWORD": ("basic_auth_password", _secret),
    "EXPORTER_BEARER_TOKEN": ("bearer_token", _secret),
}
# Secrets may come from a file named by <NAME>_FILE (Docker/Railway secrets).
SECRETS = ("SENTRY_AUTH_TOKEN", "EXPORTER_BASIC_AUTH_PASSWORD", "EXPORTER_BEARER_TOKEN")
ALIASES = {"SENTRY_INTERNAL_URL": "SENTRY_URL"}  # the first name wins when both are set
OTHER_KEYS = {"sentry_auth_token", "sentry_auth_token_file", "sentry_internal_url"}


def load_file(path: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of settings")
    known = {k.lower() for k in SETTINGS} | {f"{k.lower()}_file" for k in SECRETS} | OTHER_KEYS
    for key in data:
        if str(key).lower() not in known:
            raise ConfigError(f"config file {path} has an unknown setting {key!r}")
    return {str(k).upper(): v for k, v in data.items()}


def _read_secret(values: Mapping[str, Any], name: str) -> str | None:
    direct, path = values.get(name), values.get(f"{name}_FILE")
    if direct not in (None, "") and path not in (None, ""):
        raise ConfigError(f"set either {name} or {name}_FILE, not both")
    if path not in (None, ""):
        try:
            direct = Path(str(path)).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(f"{name}_FILE: cannot read {path}: {e.strerror}") from None
        if not direct:
            raise ConfigError(f"{name}_FILE: {path} is empty")
    return None if direct in (None, "") else _secret(direct, name)


def load_config(environ: Mapping[str, str], config_path: str | None = None, demo: bool = False) -> Config:
    """Build the Config from an optional YAML file, then the environment on top."""
    path = config_path or environ.get("EXPORTER_CONFIG") or None
    values: dict[str, Any] = load_file(path) if path else {}
    env = {k: v for k, v in environ.items() if v != ""}
    for alias, name in ALIASES.items():
        if alias in env and name not in env:
            env[name] = env[alias]
    values.update(env)
    if "EXPORTER_PORT" not in values and "PORT" in env:
        values["EXPORTER_PORT"] = env["PORT"]  # Railway and similar platforms set PORT

    kwargs: dict[str, Any] = {}
    for name, (attr, parse) in SETTINGS.items():
        if name in values and name not in SECRETS:
            kwargs[attr] = parse(values[name], name)
    for name in SECRETS[1:]:
        kwargs[SETTINGS[name][0]] = _read_secret(values, name)
    if (kwargs.get("basic_auth_user") is None) != (kwargs.get("basic_auth_password") is None):
        raise ConfigError("set both EXPORTER_BASIC_AUTH_USER and EXPORTER_BASIC_AUTH_PASSWORD, or neither")
    kwargs["demo"] = demo or kwargs.get("demo", False)
    token = _read_secret(values, "SENTRY_AUTH_TOKEN")

    if kwargs["demo"]:
        # The in-process simulator supplies URL, org and token; real ones are ignored on purpose.
        return Config(sentry_url="http://simulator.invalid", org="demo", token="", **{
            k: v for k, v in kwargs.items() if k not in ("sentry_url", "org")})
    if token is None:
        raise ConfigError("SENTRY_AUTH_TOKEN is not set (or use SENTRY_AUTH_TOKEN_FILE); "
                          f"create one with scopes {REQUIRED_SCOPES}, or run with --demo")
    if "org" not in kwargs:
        raise ConfigError("SENTRY_ORG is not set: give your organization slug, e.g. SENTRY_ORG=acme")
    kwargs.setdefault("sentry_url", "https://sentry.io")
    return Config(token=token, **kwargs)
