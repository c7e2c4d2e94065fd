"""Time parsing and formatting the way Sentry's API does it."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .errors import ApiError

HOUR = 3600
DAY = 86400
MAX_STATS_PERIOD = 90 * DAY  # the org issue endpoint's default window

_PERIOD = re.compile(r"^(\d+)([smhdw]?)$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": HOUR, "d": DAY, "w": 7 * DAY}


def parse_period(value: str) -> int | None:
    """'24h' -> 86400; None when the text is not a period."""
    match = _PERIOD.match(value.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT[match.group(2)]


def parse_stats_period(value: str) -> int:
    seconds = parse_period(value)
    if seconds is None or seconds <= 0:
        raise ApiError(400, f"Invalid statsPeriod: {value!r}")
    return seconds


def parse_iso(value: str) -> float | None:
    """ISO-8601 (``Z``, offset, or naive = UTC) -> epoch seconds; None if unparsable."""
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def window_from_params(params, now: float, default_period: int = MAX_STATS_PERIOD) -> tuple[float, float]:
    """(start, end) from statsPeriod or start+end, as Sentry's get_date_range_from_params."""
    period = first(params, "statsPeriod")
    if period:
        return now - parse_stats_period(period), now
    start_text, end_text = first(params, "start"), first(params, "end")
    if start_text or end_text:
        if not (start_text and end_text):
            raise ApiError(400, "start and end are both required")
        start, end = parse_iso(start_text), parse_iso(end_text)
        if start is None or end is None:
            raise ApiError(400, "start and end must be ISO-8601 datetimes")
        if start > end:
            raise ApiError(400, "start must be before end")
        return start, end
    return now - default_period, now


def rolled_up(start: float, end: float, interval: int, max_buckets: int) -> tuple[int, int, int]:
    """(start, end, buckets): the window widened to whole intervals, as the stats and sessions queries
    round it; too many buckets is Sentry's 400."""
    start, end = floor_to(start, interval), ceil_to(end, interval)
    if end == start:
        end = start + interval
    buckets = (end - start) // interval
    if buckets > max_buckets:
        raise ApiError(400, "Your interval and date range would create too many results. "
                            "Use a larger interval, or a smaller date range.")
    return start, end, buckets


def iso_ms(ts: float | None) -> str | None:
    """Issue timestamps: microsecond precision, as Sentry's serializers print them."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_s(ts: float) -> str:
    """Stats timestamps: whole seconds with Z."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_to(ts: float, step: int) -> int:
    return int(ts // step) * step


def ceil_to(ts: float, step: int) -> int:
    value = int(-(-ts // step)) * step
    return value


def first(params, name: str, default=None):
    values = params.get(name)
    return values[0] if values else default
