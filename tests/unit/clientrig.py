"""What the client tests run the client in: a fake clock and local scripted Sentry servers. A module of
its own, since `from conftest import` finds whichever directory's conftest was imported first."""

from __future__ import annotations

from contextlib import contextmanager
from email.utils import formatdate
from typing import Callable, Iterator

from hostile.badservers import Reply, ScriptedServer

NOW = 2_000_000_000.0


class FakeTime:
    """A clock that moves only when the client sleeps, and remembers each sleep."""

    def __init__(self, now: float = NOW):
        self.now, self.slept = now, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def date(self, skew: float = 0.0) -> str:
        """An HTTP Date header for now, on a Sentry clock `skew` seconds ahead of ours."""
        return formatdate(self.now + skew, usegmt=True)

    def waits(self) -> list[float]:
        """The retry waits; the pacer's spacing at 1000 requests/s is a millisecond."""
        return [s for s in self.slept if s > 0.01]


Script = Callable[[str, dict], Reply]


@contextmanager
def scripted_servers() -> Iterator[Callable[[Script], ScriptedServer]]:
    """`start(script)` serves one script on a local port; every server started stops on exit."""
    servers: list[ScriptedServer] = []

    def start(script: Script) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
