"""GlitchTip's times on the wire.

Schemas are dumped in python mode and rendered by ninja's NinjaJSONEncoder, a DjangoJSONEncoder
(ninja/responses.py), so a datetime reads ``2026-03-10T12:00:00.123Z``: milliseconds only when the
microseconds are not zero, ``Z`` for UTC (django/core/serializers/json.py). A pagination cursor's
position is ``str(datetime)``: ``2026-03-10 12:00:00.123456+00:00``.
"""

from __future__ import annotations

from datetime import datetime, timezone


def micros(ts: float) -> int:
    """Epoch seconds -> integer microseconds, the database's precision."""
    return int(round(ts * 1_000_000))


def as_datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us // 1_000_000, timezone.utc).replace(microsecond=us % 1_000_000)


def django_iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    text = as_datetime(micros(ts)).isoformat()
    if "." in text:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z"


def position_text(us: int) -> str:
    return str(as_datetime(us))


def position_micros(text: str) -> int:
    """A cursor's datetime position back to microseconds (Django parses it for the ``__lt`` filter)."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    delta = parsed - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
