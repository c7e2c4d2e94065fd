"""Configuration: a frozen, validated object built once from a YAML file and the environment.

The Config fields are the one configuration table: each names its variable, parser, default and a
one-line doc (docs/exporter.md's table is rendered from them; tests/unit/test_config_table.py checks it).

Every setting has one environment variable; a YAML file (`--config` or EXPORTER_CONFIG) may set the
same names in lower case, and the environment wins. Any bad value raises ConfigError with one line
naming the variable, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import unquote, urlsplit

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
class ImpactThreshold:
    """An issue pages when its distinct `tag` values in 24h exceed `value`, in its `tier` ("" : no tier)."""
    tag: str
    tier: str
    value: int


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


def _token(value: Any, name: str) -> str:
    """A bearer token: RFC 6750's b64token is printable ASCII, and http.client could not send anything
    else in a header. A file saved with a byte-order mark is the usual culprit; the message names the
    character by its position and code point, never the token."""
    text = _secret(value, name)
    for position, char in enumerate(text, 1):
        if not "!" <= char <= "~":
            why = " (a byte-order mark: save the file without BOM)" if char == "\ufeff" else ""
            raise ConfigError(f"{name} must be printable ASCII; character {position} is U+{ord(char):04X}{why}")
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


def _thresholds(value: Any, name: str) -> tuple[ImpactThreshold, ...]:
    """`tag:tier=N` (issues of that tier) or `tag=N` (issues without a tier), comma-separated."""
    pairs = value.items() if isinstance(value, dict) else (p.rpartition("=")[::2] for p in _list(value, name))
    thresholds = []
    for key, amount in pairs:
        tag, _, tier = str(key).strip().partition(":")
        if not tag.strip() or not str(amount).strip():
            raise ConfigError(f"{name} must look like workspace_id:GA=2,workspace_id:Beta=5,workspace_id=5")
        thresholds.append(ImpactThreshold(tag.strip(), tier.strip(), _number(int, 0, 10**9)(amount, name)))
    if len({(t.tag, t.tier) for t in thresholds}) != len(thresholds):
        raise ConfigError(f"{name} gives one tag and tier two thresholds")
    return tuple(thresholds)


def _endpoint(value: Any, name: str) -> str:
    text = _text(value, name)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL such as http://tempo:4318, got {text!r}")
    return text


def _headers(value: Any, name: str) -> tuple[tuple[str, str], ...]:
    """Comma-separated key=value pairs, values URL-encoded (the OTel exporter spec's format)."""
    headers = {}
    for pair in _list(value, name):
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{name} must look like key1=value1,key2=value2")
        headers[key.strip()] = unquote(text.strip())
    return tuple(headers.items())


@dataclass(frozen=True)
class Setting:
    """One row of the configuration table: the variable, how it parses, and what it means."""
    env: str
    parse: Callable[[Any, str], Any]
    doc: str
    shown_default: str | None = None   # the documented default when the value itself does not say it
    secret: bool = False               # never in repr
    from_file: bool = False            # may also come from the file named by <env>_FILE
    aliases: tuple[str, ...] = ()      # other names for it; the first name wins when both are set


def setting(env: str, parse: Callable[[Any, str], Any], default: Any, doc: str, **options: Any) -> Any:
    row = Setting(env, parse, doc, **options)
    return field(default=default, repr=not row.secret, metadata={"setting": row})


def _secret_setting(env: str, doc: str) -> Any:
    return setting(env, _secret, None, doc, secret=True, from_file=True)


_INTERVAL = _number(float, 1, 86400)


def _interval_or_off(value: Any, name: str) -> float:
    """An interval of a poller that is on by default: 0 turns it off."""
    seconds = _number(float, 0, 86400)(value, name)
    if 0 < seconds < 1:
        raise ConfigError(f"{name} must be 0 (off) or at least 1 second, got {seconds:g}")
    return seconds


@dataclass(frozen=True)
class Config:
    """Every setting, one field each: the configuration table (docs/exporter.md's is generated from it)."""
    token: str = setting("SENTRY_AUTH_TOKEN", _token, "", f"token with {REQUIRED_SCOPES}", shown_default="required",
                         secret=True, from_file=True)
    org: str = setting("SENTRY_ORG", _slug, "", "organization slug", shown_default="required")
    sentry_url: str = setting("SENTRY_URL", _url, "https://sentry.io", "SaaS region or self-hosted base URL",
                              aliases=("SENTRY_INTERNAL_URL",))
    flavor: str | None = setting("SENTRY_FLAVOR", _choice("sentry", "glitchtip"), None,
                                 "`sentry` or `glitchtip` (docs/glitchtip.md); detected from the server when unset",
                                 shown_default="detected")
    demo: bool = setting("SENTRY_DEMO", _flag, False, "serve the built-in simulated org instead (or `--demo`)")
    projects: tuple[str, ...] = setting("SENTRY_PROJECTS", _slugs, (), "comma list of project slugs",
                                        shown_default="all")
    environments: tuple[str, ...] = setting("SENTRY_ENVIRONMENTS", _list, (),
                                            "comma list; adds an `environment` label, one listing per environment")
    issues_period: str = setting("SENTRY_ISSUES_PERIOD", _period, "14d", "window for issue counts")
    poll_interval: float = setting("SENTRY_POLL_INTERVAL_SECONDS", _INTERVAL, 60.0, "issues poller interval")
    reconcile_interval: float = setting(
        "SENTRY_RECONCILE_INTERVAL_SECONDS", _number(float, 0, 86400), 900.0,
        "longest time between full issue listings (one at start); between them incremental passes; "
        "0: a full listing every poll")
    reconcile_pages: int = setting(
        "SENTRY_RECONCILE_PAGES_PER_POLL", _number(int, 0, 10000), 10,
        "full issue listings as often as this many pages a poll interval pay for (a listing this short: every "
        "poll); 0: every SENTRY_RECONCILE_INTERVAL_SECONDS only")
    ingestion_grace: float = setting("SENTRY_INGESTION_GRACE_SECONDS", _number(float, 0, 3600), 120.0,
                                     "an incremental pass re-reads issues last seen this long before the previous "
                                     "one started; later-landing events wait for the reconciliation")
    stats_interval: float = setting("SENTRY_STATS_INTERVAL_SECONDS", _INTERVAL, 300.0, "stats poller interval")
    releases_interval: float = setting("SENTRY_RELEASES_INTERVAL_SECONDS", _INTERVAL, 300.0,
                                       "releases poller interval")
    impact_interval: float = setting("SENTRY_IMPACT_INTERVAL_SECONDS", _INTERVAL, 300.0, "impact poller interval")
    monitors_interval: float = setting("SENTRY_MONITORS_INTERVAL_SECONDS", _interval_or_off, 60.0,
                                       "Crons monitors poller interval (0: off)")
    monitors_checkin_calls: int = setting("SENTRY_MONITORS_MAX_CHECKIN_CALLS", _number(int, 1, 1000), 20,
                                          "check-ins calls per monitors run; other changed monitors wait a run")
    uptime_interval: float = setting("SENTRY_UPTIME_INTERVAL_SECONDS", _interval_or_off, 300.0,
                                     "uptime monitors (detectors) poller interval (0: off)")
    uptime_results_interval: float = setting("SENTRY_UPTIME_RESULTS_INTERVAL_SECONDS", _interval_or_off, 60.0,
                                             "uptime check results (Discover) poller interval (0: off)")
    deploy_calls: int = setting("SENTRY_DEPLOYS_MAX_CALLS", _number(int, 0, 1000), 10,
                                "deploys calls per releases run, for releases whose lastDeploy changed (0: none)")
    projects_refresh: float = setting("SENTRY_PROJECTS_REFRESH_SECONDS", _INTERVAL, 300.0, "project list refresh")
    max_issues: int = setting("SENTRY_MAX_ISSUES", _number(int, 100, 10_000_000), 10_000,
                              "per-query cap (see `sentry_issues_truncated`)")
    top_issues: int = setting("SENTRY_TOP_ISSUES", _number(int, 0, 1000), 50, "per-issue series")
    max_issue_series: int = setting("SENTRY_MAX_ISSUE_SERIES", _number(int, 10, 1_000_000), 1000,
                                    "hard cap on the series of each per-issue metric (see `sentry_series_dropped`)")
    max_requests_per_second: float = setting("SENTRY_MAX_REQUESTS_PER_SECOND", _number(float, 0.1, 100), 5.0,
                                             "our own request budget")
    timeout: float = setting("SENTRY_TIMEOUT_SECONDS", _number(float, 1, 600), 60.0,
                              "read timeout (connect: 5 s); a chunked issue search can take over 30 s")
    ca_bundle: str | None = setting("SENTRY_CA_BUNDLE", _readable_file, None,
                                    "PEM file of the CAs to trust (a self-hosted Sentry's private CA, a TLS-inspecting "
                                    "proxy's); a proxy comes from `HTTPS_PROXY`/`NO_PROXY`",
                                    shown_default="certifi's bundle", aliases=("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"))
    billing_day: int = setting("SENTRY_BILLING_DAY", _number(int, 1, 28), 1,
                               "day of month the billing period starts (1–28)")
    quota_budgets: tuple[tuple[str, int], ...] = setting("SENTRY_QUOTA_BUDGETS", _budgets, (),
                                                         "e.g. `error=5000000,transaction=10000000`")
    queries: tuple[NamedQuery, ...] = setting(
        "SENTRY_QUERIES", _queries, (), "config file only: `[{name: fatal, query: \"is:unresolved level:fatal\"}]`")
    impact_tags: tuple[str, ...] = setting("SENTRY_IMPACT_TAGS", _tags(17), (),
                                           "tags counted per issue, e.g. `workspace_id,tenant_id` (≤ 17)")
    label_tags: tuple[str, ...] = setting("SENTRY_ISSUE_LABEL_TAGS", _tags(18), (),
                                          "routing tags as labels, e.g. `release_stage,failure_origin` (≤ 18)")
    impact_thresholds: tuple[ImpactThreshold, ...] = setting(
        "SENTRY_IMPACT_THRESHOLDS", _thresholds, (ImpactThreshold("workspace_id", "GA", 2),
                                                  ImpactThreshold("workspace_id", "Beta", 5),
                                                  ImpactThreshold("workspace_id", "", 5)),
        "P0 page: an issue pages above N distinct values in 24h, per impact tag and tier (first label tag); "
        "`tag=N`: no tier. Every issue over a tag's lowest N is exported",
        shown_default="`workspace_id:GA=2,workspace_id:Beta=5,workspace_id=5`")
    releases_per_project: int = setting("SENTRY_RELEASES_PER_PROJECT", _number(int, 0, 20), 3,
                                        "releases with health metrics per project (0: off)")
    host: str = setting("EXPORTER_HOST", _text, "::", "dual stack; falls back to 0.0.0.0 without IPv6")
    port: int = setting("EXPORTER_PORT", _number(int, 1, 65535), DEFAULT_PORT,
                        "8971 is outside Prometheus' allocated exporter range", shown_default=f"`PORT`, else {DEFAULT_PORT}")
    basic_auth_user: str | None = setting("EXPORTER_BASIC_AUTH_USER", _text, None,
                                          "with the password: basic auth on `/metrics`")
    basic_auth_password: str | None = _secret_setting("EXPORTER_BASIC_AUTH_PASSWORD",
                                                      "with the user: basic auth on `/metrics`")
    bearer_token: str | None = setting("EXPORTER_BEARER_TOKEN", _token, None, "bearer token required on `/metrics`",
                                       secret=True, from_file=True)
    log_level: str = setting("LOG_LEVEL", _choice("debug", "info", "warning", "error"), "info", "log level")
    log_format: str = setting("LOG_FORMAT", _choice("json", "text"), "json",
                              "`json` lines carry the poll's `trace_id`; or `text`")
    loki_url: str | None = setting("LOKI_URL", _endpoint, None,
                                   "Loki base URL: ship the exporter's logs there (`/loki/api/v1/push`)")
    otlp_endpoint: str | None = setting("OTEL_EXPORTER_OTLP_ENDPOINT", _endpoint, None,
                                        "OTLP/HTTP base URL (`/v1/traces` appended): one trace per poll, e.g. Tempo")
    otlp_traces_endpoint: str | None = setting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", _endpoint, None,
                                               "full OTLP/HTTP traces URL; wins over the base URL")
    otlp_headers: tuple[tuple[str, str], ...] = setting("OTEL_EXPORTER_OTLP_HEADERS", _headers, (),
                                                        "`key=value,...` sent with traces (values URL-encoded)",
                                                        secret=True)

    @property
    def poll_intervals(self) -> dict[str, float]:
        """Seconds between runs of each poller by name (0: off), and of the issue reconciliation, which
        runs with every issues poll when its own interval is 0.  Staleness is judged against these."""
        return {"issues": self.poll_interval, "reconcile": self.reconcile_interval or self.poll_interval,
                "stats": self.stats_interval, "releases": self.releases_interval, "impact": self.impact_interval,
                "monitors": self.monitors_interval, "uptime": self.uptime_interval,
                "uptime_results": self.uptime_results_interval}


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(Config)}  # Config field -> its row


def variables() -> set[str]:
    """Every environment variable the exporter reads."""
    names = {"EXPORTER_CONFIG", "PORT"}
    for row in SETTINGS.values():
        names |= {row.env, *row.aliases} | ({f"{row.env}_FILE"} if row.from_file else set())
    return names


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
    known = {name.lower() for name in variables() - {"EXPORTER_CONFIG", "PORT"}}
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
    return None if direct in (None, "") else direct


def _check_thresholds(kwargs: dict[str, Any]) -> None:
    """Every impact tag has a threshold: the poller reads only the issues over the lowest one."""
    thresholds = kwargs.get("impact_thresholds", Config.impact_thresholds)
    for tag in kwargs.get("impact_tags", ()):
        if not any(t.tag == tag for t in thresholds):
            raise ConfigError(f"SENTRY_IMPACT_THRESHOLDS has no threshold for the impact tag {tag!r} "
                              f"(add e.g. {tag}=5)")


def load_config(environ: Mapping[str, str], config_path: str | None = None, demo: bool = False) -> Config:
    """Build the Config from an optional YAML file, then the environment on top."""
    path = config_path or environ.get("EXPORTER_CONFIG") or None
    values: dict[str, Any] = load_file(path) if path else {}
    env = {k: v for k, v in environ.items() if v != ""}
    source: dict[str, str] = {}  # a setting's variable -> the alias it was read from, for error messages
    for row in SETTINGS.values():
        for alias in row.aliases:
            if alias in env and row.env not in env:
                env[row.env], source[row.env] = env[alias], alias
    values.update(env)
    if "EXPORTER_PORT" not in values and "PORT" in env:
        values["EXPORTER_PORT"] = env["PORT"]  # Railway and similar platforms set PORT

    kwargs: dict[str, Any] = {}
    for attr, row in SETTINGS.items():
        value = _read_secret(values, row.env) if row.from_file else values.get(row.env)
        if value is not None:
            kwargs[attr] = row.parse(value, source.get(row.env, row.env))
    if (kwargs.get("basic_auth_user") is None) != (kwargs.get("basic_auth_password") is None):
        raise ConfigError("set both EXPORTER_BASIC_AUTH_USER and EXPORTER_BASIC_AUTH_PASSWORD, or neither")
    kwargs["demo"] = demo or kwargs.get("demo", False)
    _check_thresholds(kwargs)

    if kwargs["demo"]:
        # The in-process simulator supplies URL, org and token; real ones are ignored on purpose.
        return Config(**{**kwargs, "sentry_url": "http://simulator.invalid", "org": "demo", "token": ""})
    if "token" not in kwargs:
        raise ConfigError("SENTRY_AUTH_TOKEN is not set (or use SENTRY_AUTH_TOKEN_FILE); "
                          f"create one with scopes {REQUIRED_SCOPES}, or run with --demo")
    if "org" not in kwargs:
        raise ConfigError("SENTRY_ORG is not set: give your organization slug, e.g. SENTRY_ORG=acme")
    return Config(**kwargs)
