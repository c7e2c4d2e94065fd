"""Logging set-up: JSON (for Loki) or text, with the active trace id on every line."""

from __future__ import annotations

import json
import logging
import sys
import time

from . import tracing

# Attributes every LogRecord has; anything else was passed with `extra=` and belongs in the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        trace_id, span_id = tracing.current_ids()
        if trace_id:
            entry["trace_id"], entry["span_id"] = trace_id, span_id
        # A field passed with `extra=` never replaces the line's own: a log pipeline filters on "level",
        # and an issue's level there once made an info line read as an error. A clash keeps both.
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry[f"extra_{key}" if key in entry else key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        trace_id, _ = tracing.current_ids()
        return f"{line} trace_id={trace_id}" if trace_id else line


def setup(level: str, fmt: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # urllib3 logs full URLs at debug level; keep it quiet so nothing sensitive leaks by accident.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler
