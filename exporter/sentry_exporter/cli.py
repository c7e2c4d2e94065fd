"""Command line: parse arguments and environment into a Config, then run (or poll once)."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
import threading
from dataclasses import replace
from typing import Mapping, Sequence

from . import __version__, telemetry
from .app import Exporter
from .config import Config, ConfigError, ImpactThreshold, load_config

log = logging.getLogger("sentry_exporter")
DEMO_RATE_LIMIT = 40  # requests per second and rate-limit bucket, so the demo shows headroom
DEMO_BUDGETS = (("error", 2_000_000), ("transaction", 10_000_000))
# The demo's second impact tag pages like workspace_id does by default.
DEMO_TENANT_THRESHOLDS = (ImpactThreshold("tenant_id", "GA", 2), ImpactThreshold("tenant_id", "Beta", 5),
                          ImpactThreshold("tenant_id", "", 5))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, like every other bad input
        raise ConfigError(message)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="sentry-exporter", description="Prometheus exporter for the Sentry web API. "
                     "Settings come from environment variables (see docs/exporter.md) and an optional YAML file.")
    parser.add_argument("--config", metavar="PATH", help="YAML file of settings (default: $EXPORTER_CONFIG)")
    parser.add_argument("--demo", action="store_true", help="serve a built-in simulated org; no token needed")
    parser.add_argument("--once", action="store_true", help="poll once, print the metrics, exit 0 (or 1 on failure)")
    parser.add_argument("--version", action="version", version=f"sentry-exporter {__version__}")
    return parser.parse_args(argv)


def start_demo(config: Config) -> Config:
    """Run the simulator in-process and point the config at it, marked as demo data.

    The demo org has impact tags, a quota budget and rate-limit headers like sentry.io, so every
    dashboard panel has something true to show; settings given explicitly still win.
    """
    from sentry_simulator import DemoDriver, SimulatorServer, build_demo_org  # only demo mode needs it

    token = "sntryu_demo_" + secrets.token_hex(8)
    org = build_demo_org()
    server = SimulatorServer(org, host="127.0.0.1", port=0, token=token, rate_limit_per_second=DEMO_RATE_LIMIT)
    server.start()
    DemoDriver(org, server=server).start()
    default_tags = not config.impact_tags
    return replace(config, sentry_url=server.url, org=org.slug, token=token,
                   impact_tags=config.impact_tags or ("workspace_id", "tenant_id"),
                   impact_thresholds=config.impact_thresholds + DEMO_TENANT_THRESHOLDS * default_tags,
                   label_tags=config.label_tags or ("release_stage", "failure_origin"),
                   quota_budgets=config.quota_budgets or DEMO_BUDGETS)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    try:
        args = parse_args(argv)
        config = load_config(environ, args.config, demo=args.demo)
        telemetry.logs.setup(config.log_level.upper(), config.log_format)
        shipping = telemetry.setup(config)
    except ConfigError as e:
        print(f"sentry-exporter: {e}", file=sys.stderr)
        return 2
    try:
        return _run(config, args.once, shipping)
    finally:
        shipping.close()


def _run(config: Config, once: bool, shipping: telemetry.Telemetry) -> int:
    if config.demo:
        config = start_demo(config)
        log.info("demo mode: serving a simulated org, not Sentry")

    exporter = Exporter(config)
    exporter.registry.register(shipping)
    if once:
        ok = exporter.poll_once()
        sys.stdout.write(exporter.exposition().decode())
        return 0 if ok else 1
    try:
        exporter.start()
    except OSError as e:
        print(f"sentry-exporter: cannot listen on {config.host}:{config.port}: {e.strerror}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    log.info("stopping")
    exporter.stop()
    return 0


def run() -> None:
    sys.exit(main())
