"""``python -m sentry_simulator``: run the fake Sentry standalone (benchmarks, manual tests)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from functools import partial

from .demo import DemoDriver, build_demo_org
from .generate import build_org
from .live import LiveOrg, control
from .server import SimulatorServer
from .switches import Behaviour


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """Bad input: one line and exit code 2, no usage dump."""
        self.exit(2, f"{self.prog}: {message}\n")


def parse_args(argv=None) -> argparse.Namespace:
    parser = _Parser(prog="python -m sentry_simulator",
                                     description="Serve a fake Sentry organization under /api/0/.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default="sntryu_simulator", help="the only accepted bearer token")
    parser.add_argument("--org", default="acme", help="organization slug (ignored with --demo)")
    parser.add_argument("--projects", type=int, default=5)
    parser.add_argument("--issues", type=int, default=1000, help="unresolved issues to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limit", type=int, default=None,
                        help="requests per second per caller in the shared bucket, with sentry.io's headers "
                             "(default: none, like self-hosted: no rate-limit headers at all)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--public-url", default=None, help="host written into Link headers and permalinks")
    parser.add_argument("--demo", action="store_true", help="the demo org, kept lively in real time")
    parser.add_argument("--flavor", choices=("sentry", "glitchtip"), default="sentry",
                        help="the server kind to answer as: Sentry, or GlitchTip's subset of its API")
    parser.add_argument("--old-self-hosted", action="store_true",
                        help="a pre-2023 self-hosted Sentry: no dataset=errors, substatus or priority; inclusive stats end")
    parser.add_argument("--no-discover", action="store_true", help="a plan without Discover: /events/ is a bare 404")
    parser.add_argument("--no-global-views", action="store_true",
                        help="a plan without global-views: multi-project events and issue queries are 400")
    parser.add_argument("--listing-cut", type=int, default=None, metavar="N",
                        help="issue listings end after N issues with results=\"false\", as a timed-out search does")
    parser.add_argument("--control", action="store_true",
                        help="for benchmarks: a live org (started on request) and its truth on /_control/ routes")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="with --control: the live org's minutes pass this many times faster")
    args = parser.parse_args(argv)
    for name in ("port", "projects", "issues", "listing_cut"):
        if (getattr(args, name) or 0) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    if args.rate_limit is not None and args.rate_limit < 1:
        parser.error("--rate-limit must be at least 1")
    return args


def behaviour_from(args: argparse.Namespace) -> Behaviour:
    behaviour = Behaviour.old_self_hosted() if args.old_self_hosted else Behaviour()
    behaviour.discover = not args.no_discover
    behaviour.global_views = not args.no_global_views
    behaviour.listing_cut = args.listing_cut
    return behaviour


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.demo:
        org = build_demo_org()
    else:
        org = build_org(slug=args.org, projects=args.projects, unresolved=args.issues, seed=args.seed)
    behaviour = behaviour_from(args)
    live = LiveOrg(org, scale=args.scale, seed=args.seed) if args.control and not args.demo else None
    try:
        server = SimulatorServer(org, host=args.host, port=args.port, token=args.token,
                                 rate_limit_per_second=args.rate_limit, latency_seconds=args.latency,
                                 public_url=args.public_url, behaviour=behaviour, flavor=args.flavor,
                                 control=partial(control, live, behaviour) if live else None)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    server.start()
    driver = DemoDriver(org).start() if args.demo else None
    print(f"SENTRY_URL={server.url} SENTRY_AUTH_TOKEN={args.token} SENTRY_ORG={org.slug}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    for running in (driver, live):
        if running:
            running.stop()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
