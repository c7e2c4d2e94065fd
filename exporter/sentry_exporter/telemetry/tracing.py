"""Minimal in-process tracing: one trace per poll, one span per Sentry call.

Spans carry W3C-sized ids so logs (which include the active trace id) and
traces (shipped by `otlp`, when configured) can be joined in Grafana.
Sinks receive a finished trace in the polling thread: they must only enqueue.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

log = logging.getLogger(__name__)

Attribute = str | int | float | bool


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    start_ns: int
    end_ns: int
    attributes: dict[str, Attribute]
    ok: bool


@dataclass
class _Active:
    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    start_ns: int
    attributes: dict[str, Attribute]
    finished: list[Span] = field(default_factory=list)  # shared by the whole trace
    ok: bool = True

    def set(self, key: str, value: Attribute) -> None:
        self.attributes[key] = value

    def fail(self) -> None:
        self.ok = False


_current: contextvars.ContextVar[_Active | None] = contextvars.ContextVar("span", default=None)
_sinks: list[Callable[[list[Span]], None]] = []


def add_sink(sink: Callable[[list[Span]], None]) -> None:
    _sinks.append(sink)


def remove_sink(sink: Callable[[list[Span]], None]) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


def current_ids() -> tuple[str | None, str | None]:
    active = _current.get()
    return (active.trace_id, active.span_id) if active else (None, None)


@contextlib.contextmanager
def span(name: str, **attributes: Attribute) -> Iterator[_Active]:
    parent = _current.get()
    active = _Active(
        name=name,
        trace_id=parent.trace_id if parent else os.urandom(16).hex(),
        span_id=os.urandom(8).hex(),
        parent_id=parent.span_id if parent else None,
        start_ns=time.time_ns(),
        attributes=dict(attributes),
        finished=parent.finished if parent else [],
    )
    token = _current.set(active)
    try:
        yield active
    except BaseException:
        active.ok = False
        raise
    finally:
        _current.reset(token)
        active.finished.append(
            Span(active.name, active.trace_id, active.span_id, active.parent_id,
                 active.start_ns, time.time_ns(), active.attributes, active.ok)
        )
        if parent is None:
            _emit(active.finished)


def _emit(spans: list[Span]) -> None:
    for sink in _sinks:
        try:
            sink(spans)
        except Exception:  # a broken sink must never break a poll
            log.exception("trace sink failed")
