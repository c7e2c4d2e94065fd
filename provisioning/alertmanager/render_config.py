#!/usr/bin/env python3
"""Render the Alertmanager configuration from alertmanager.base.yml and environment variables.

Alertmanager does not expand variables in its file, so this runs at container start.  Receivers
come from ALERT_SLACK_WEBHOOK_URL, ALERT_PAGERDUTY_ROUTING_KEY and ALERT_WEBHOOK_URL (the defaults),
ALERT_TEAM_<TEAM>_<SAME SUFFIX> for each team in ALERT_TEAMS, ALERT_META_<SAME SUFFIX> for the stack's
own alerts, and ALERT_WATCHDOG_WEBHOOK_URL.  Each variable may instead name a file as <NAME>_FILE.  An
unset channel is left out; a receiver with no channel is a valid receiver that notifies nobody.
Runbook links that the rules leave relative (/docs/runbook.md#...) get ALERT_RUNBOOK_BASE_URL in front,
or on Railway the GitHub blob URL of the deployed commit.  Bad input: one line on stderr, exit code 2.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

TEAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
CHANNELS = ("SLACK_WEBHOOK_URL", "PAGERDUTY_ROUTING_KEY", "WEBHOOK_URL")


class ConfigError(Exception):
    """Bad input; the message names the variable or file, never a secret value."""


def env_value(env: dict[str, str], name: str) -> str | None:
    """The variable's value, or the content of the file named by <name>_FILE; None when unset or empty."""
    value = env.get(name, "").strip()
    file_name = env.get(name + "_FILE", "").strip()
    if value and file_name:
        raise ConfigError(f"set {name} or {name}_FILE, not both")
    if file_name:
        try:
            value = Path(file_name).read_text().strip()
        except OSError as e:
            raise ConfigError(f"{name}_FILE: cannot read {file_name}: {e.strerror}") from None
    return value or None


def url_value(env: dict[str, str], name: str) -> str | None:
    value = env_value(env, name)
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{name} must be an http(s) URL")
    return value


def routing_key_value(env: dict[str, str], name: str) -> str | None:
    value = env_value(env, name)
    if value is not None and not re.fullmatch(r"\S+", value):
        raise ConfigError(f"{name} must be a PagerDuty routing key without spaces")
    return value


def env_suffix(team: str) -> str:
    """team-a -> TEAM_A: the team's part of its variable names."""
    return re.sub(r"[^A-Z0-9]", "_", team.upper())


def parse_teams(env: dict[str, str]) -> dict[str, str]:
    """{env suffix: team} from ALERT_TEAMS, a comma-separated list of Sentry team names."""
    teams: dict[str, str] = {}
    for team in (t.strip().lstrip("#") for t in env.get("ALERT_TEAMS", "").split(",")):
        if not team:
            continue
        if not TEAM_NAME.fullmatch(team):
            raise ConfigError(f"ALERT_TEAMS: {team!r} is not a team name (letters, digits, '_', '.', '-')")
        if team == "default":
            raise ConfigError("ALERT_TEAMS: 'default' names the receivers of alerts without a team")
        suffix = env_suffix(team)
        if suffix in teams:
            raise ConfigError(f"ALERT_TEAMS: {teams[suffix]!r} and {team!r} share the variables ALERT_TEAM_{suffix}_*")
        teams[suffix] = team
    known = {f"ALERT_TEAM_{suffix}_{channel}{file}" for suffix in teams for channel in CHANNELS
             for file in ("", "_FILE")}
    for name in env:
        if name.startswith("ALERT_TEAM_") and env[name].strip() and name not in known:
            raise ConfigError(f"{name} is set but names no team in ALERT_TEAMS or no channel")
    return teams


def channels(env: dict[str, str], prefix: str, fallback: dict | None = None) -> dict:
    """The channel settings under a variable prefix, each falling back to the default's."""
    fallback = fallback or {}
    found = {
        "slack": url_value(env, prefix + "SLACK_WEBHOOK_URL"),
        "pagerduty": routing_key_value(env, prefix + "PAGERDUTY_ROUTING_KEY"),
        "webhook": url_value(env, prefix + "WEBHOOK_URL"),
    }
    return {kind: value or fallback.get(kind) for kind, value in found.items()}


def runbook_base(env: dict[str, str]) -> str | None:
    """Where docs/runbook.md is browsable: ALERT_RUNBOOK_BASE_URL, else the repository and commit that
    Railway deployed (its RAILWAY_GIT_* variables), else unknown."""
    base = url_value(env, "ALERT_RUNBOOK_BASE_URL")
    if base:
        return base.rstrip("/")
    railway = [env.get(f"RAILWAY_GIT_{name}", "").strip() for name in ("REPO_OWNER", "REPO_NAME", "COMMIT_SHA")]
    if all(re.fullmatch(r"[A-Za-z0-9._-]+", part) for part in railway):
        return "https://github.com/{}/{}/blob/{}".format(*railway)
    return None


def slack_config(url: str, base: str | None) -> dict:
    """One line per alert: its description, the Sentry issue when the alert names one, the runbook."""
    runbook = "{{ .Annotations.runbook_url }}"
    if base:  # a relative link (the rules' default) gets the base; an absolute one is kept
        link = f' <{{{{ if match "^/" .Annotations.runbook_url }}}}{base}{{{{ end }}}}{runbook}|runbook>'
    else:  # a path is no link in Slack: show it as text
        link = f'{{{{ if match "^https?://" .Annotations.runbook_url }}}} <{runbook}|runbook>' \
               f"{{{{ else }}}} (runbook: {runbook}){{{{ end }}}}"
    return {
        "api_url": url,
        "send_resolved": True,
        "text": "{{ range .Alerts }}{{ .Annotations.description }}"
                "{{ if .Annotations.issue_url }} <{{ .Annotations.issue_url }}|Sentry issue>{{ end }}"
                f"{{{{ if .Annotations.runbook_url }}}}{link}{{{{ end }}}}\n{{{{ end }}}}",
    }


def receiver(name: str, settings: dict, page: bool) -> dict:
    """A page goes to PagerDuty, Slack and the webhook; a ticket to Slack and the webhook."""
    result: dict = {"name": name}
    if page and settings["pagerduty"]:
        result["pagerduty_configs"] = [{"routing_key": settings["pagerduty"], "send_resolved": True}]
    if settings["slack"]:
        result["slack_configs"] = [slack_config(settings["slack"], settings["runbook_base"])]
    if settings["webhook"]:
        result["webhook_configs"] = [{"url": settings["webhook"], "send_resolved": True}]
    return result


def render(base: dict, env: dict[str, str]) -> dict:
    config = dict(base)
    route = dict(config.get("route") or {})
    defaults = {**channels(env, "ALERT_"), "runbook_base": runbook_base(env)}
    teams = parse_teams(env)

    # The stack's own alerts page on ALERT_META_*; each unset one falls back to the default channel.
    receivers = [{"name": "null"}, receiver("default-page", defaults, page=True),
                 receiver("default-ticket", defaults, page=False),
                 receiver("meta", {**defaults, **channels(env, "ALERT_META_", defaults)}, page=True)]
    watchdog = url_value(env, "ALERT_WATCHDOG_WEBHOOK_URL")
    receivers.append({"name": "watchdog", **({"webhook_configs": [{"url": watchdog}]} if watchdog else {})})

    routes = list(route.get("routes") or [])
    for suffix, team in teams.items():
        settings = {**defaults, **channels(env, f"ALERT_TEAM_{suffix}_", defaults)}
        receivers += [receiver(f"{team}-page", settings, page=True),
                      receiver(f"{team}-ticket", settings, page=False)]
        routes.append({"receiver": f"{team}-ticket", "matchers": [f'team="{team}"'],
                       "routes": [{"receiver": f"{team}-page", "matchers": ['severity="critical"']}]})
    routes.append({"receiver": "default-page", "matchers": ['severity="critical"']})

    route["routes"] = routes
    config["route"] = route
    config["receivers"] = receivers
    return config


def load_base(path: Path) -> dict:
    try:
        base = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where} is not valid YAML") from None
    if not isinstance(base, dict) or "receivers" in base:
        raise ConfigError(f"{path} must be a mapping without receivers (they come from the environment)")
    return base


def write_private(path: Path, text: str) -> None:
    """The file holds webhook URLs and keys: readable by its owner only."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, default=Path(__file__).with_name("alertmanager.base.yml"),
                        help="fixed part of the configuration (default: alertmanager.base.yml beside this script)")
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    try:
        text = yaml.safe_dump(render(load_base(args.base), dict(os.environ)), sort_keys=False, width=1000)
        if args.out:
            write_private(args.out, text)
        else:
            sys.stdout.write(text)
    except ConfigError as e:
        print(f"render_config: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
