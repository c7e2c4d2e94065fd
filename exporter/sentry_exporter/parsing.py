"""Defensive readers for API values that become label values or sample values.

Whatever Sentry (or a proxy in front of it) sends, a label value must encode as UTF-8 and stay
short, and a sample value must be a finite number a float can hold.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

MAX_LABEL_LENGTH = 300   # longer titles, names or tag values are cut: a label is not a document
MAX_COUNT = 10**15       # more than any real count, and exact as a float


def label(value: Any, default: str = "") -> str:
    """A usable label value: non-empty text, cut to length, lone surrogates replaced (they cannot encode)."""
    if not isinstance(value, str) or not value:
        return default
    return value[:MAX_LABEL_LENGTH].encode("utf-8", "replace").decode("utf-8")


def count(value: Any) -> int | None:
    """A count from an int or a numeric string (Sentry sends both); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = int(value) if math.isfinite(value) and value.is_integer() else None
    elif isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isascii() and value.isdigit() and len(value) <= 16 else None
    if not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return None
    return value


def number(value: Any) -> float | None:
    """A finite JSON number (rates, ratios); None for anything else, NaN and infinities included."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an int beyond float range
        return None
    return value if math.isfinite(value) else None


def iso_time(epoch: float, fraction: bool = False) -> str:
    """Epoch seconds as the UTC ISO 8601 `start`/`end` Sentry reads; with `fraction`, to the microsecond."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S" + (".%fZ" if fraction else "Z"))


def parse_time(value: Any) -> float | None:
    """An ISO 8601 timestamp as Sentry writes it, in epoch seconds; None when it is not one.

    The one reader of Sentry's times. Without a zone it is UTC, never this machine's local time: Sentry
    runs on UTC (`src/sentry/conf/server.py`: "This should always be UTC." TIME_ZONE = "UTC") and writes
    UTC times with a hand-added 'Z' (`src/sentry/snuba/sessions_v2.py` isoformat_z, which stats_v2's
    start/end use) or with none at all (older `src/sentry/snuba/outcomes.py`:
    `datetime.utcfromtimestamp(...).isoformat()`)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).timestamp()
    except (ValueError, OverflowError):
        return None
