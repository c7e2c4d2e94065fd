"""A logging handler that pushes JSON log lines to Loki's push API in the background.

Stream labels stay few and bounded (`service`, `level`); everything else, including the
`trace_id` that Grafana turns into a link to Tempo, lives in the JSON line itself.
"""

from __future__ import annotations

import logging
from typing import Callable

import requests

from .logs import JsonFormatter
from .batcher import BatchSender

SERVICE_LABEL = "sentry-exporter"
# Records from these loggers are not pushed: they describe the pushing itself, and
# sending them would feed a loop whenever Loki is down.
QUIET_LOGGERS = ("urllib3", "requests", __package__ or "sentry_exporter.telemetry")

Entry = tuple[str, int, str]  # (level, unix ns, line)


def push_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/loki/api/v1/push") else base + "/loki/api/v1/push"


def encode(entries: list[Entry]) -> dict:
    """Loki's JSON push body: one stream per level, values in time order."""
    streams: dict[str, list[list[str]]] = {}
    for level, ts_ns, line in sorted(entries, key=lambda e: e[1]):
        streams.setdefault(level, []).append([str(ts_ns), line])
    return {"streams": [{"stream": {"service": SERVICE_LABEL, "level": level}, "values": values}
                        for level, values in streams.items()]}


class LokiHandler(logging.Handler):
    def __init__(self, url: str, scrub: Callable[[str], str], timeout: float = 5.0,
                 max_queue: int = 4096) -> None:
        super().__init__()
        self.url = url
        self._scrub = scrub
        self._timeout = timeout
        # Formatting happens in emit(), in the caller's thread, where the active trace id is known.
        self.setFormatter(JsonFormatter())
        self._session = requests.Session()
        self._session.trust_env = False
        self.sender: BatchSender[Entry] = BatchSender("loki", self._post, max_queue=max_queue, max_batch=512)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(QUIET_LOGGERS):
            return
        try:
            line = self._scrub(self.format(record))
        except Exception:
            self.handleError(record)
            return
        self.sender.offer((record.levelname.lower(), int(record.created * 1e9), line))

    def _post(self, entries: list[Entry]) -> None:
        resp = self._session.post(self.url, json=encode(entries), timeout=self._timeout)
        resp.raise_for_status()

    def close(self) -> None:
        self.sender.close()
        self._session.close()
        super().close()
