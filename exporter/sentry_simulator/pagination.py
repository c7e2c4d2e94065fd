"""Cursors and Link headers exactly as sentry/api/base.py and sentry/utils/cursors.py make them."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from urllib.parse import urlencode

from .errors import ApiError

CURSOR_LINK_HEADER = '<{uri}&cursor={cursor}>; rel="{name}"; results="{has_results}"; cursor="{cursor}"'
MAX_LIMIT = 100
MAX_HITS = 1000
_CURSOR = re.compile(r"^(-?\d+):(-?\d+):(-?\d+)$")


@dataclass(frozen=True)
class Cursor:
    value: int
    offset: int
    is_prev: bool

    def __str__(self) -> str:
        return f"{self.value}:{self.offset}:{int(self.is_prev)}"


def parse_cursor(params) -> Cursor | None:
    values = params.get("cursor")
    if not values:
        return None
    match = _CURSOR.match(values[0])
    if not match:
        raise ApiError(400, "Invalid cursor parameter.")
    value, offset, is_prev = (int(g) for g in match.groups())
    if offset < 0:
        raise ApiError(400, "Invalid cursor parameter.")
    return Cursor(value, offset, bool(is_prev))


def parse_per_page(params) -> int:
    """paginate()-based endpoints: 400 outside 1..100 (pagination_factory.py)."""
    values = params.get("per_page")
    if not values:
        return MAX_LIMIT
    try:
        per_page = int(values[0])
    except ValueError:
        per_page = 0
    if not 1 <= per_page <= MAX_LIMIT:
        raise ApiError(400, "Invalid per_page value. Must be between 1 and 100.")
    return per_page


def parse_paging(params) -> tuple[int, Cursor | None]:
    """per_page and cursor of a paginate()-based endpoint, checked in that order."""
    return parse_per_page(params), parse_cursor(params)


def parse_limit(params) -> int:
    """Issue lists take ``limit`` and clamp it silently to 100 (paginator.py MAX_LIMIT)."""
    values = params.get("limit")
    if not values:
        return MAX_LIMIT
    try:
        limit = int(values[0])
    except ValueError:
        raise ApiError(400, "Invalid limit parameter.") from None
    return max(1, min(limit, MAX_LIMIT))


def link_header(base_url: str, path: str, params, prev: Cursor, prev_results: bool, nxt: Cursor,
                next_results: bool) -> str:
    """``<uri>`` is the absolute path plus the original query minus ``cursor``: ``…?&cursor=`` when empty."""
    query = urlencode([(k, v) for k, vs in params.items() if k != "cursor" for v in vs])
    uri = f"{base_url}{path}?{query}"
    links = [
        CURSOR_LINK_HEADER.format(uri=uri, cursor=str(prev), name="previous",
                                  has_results="true" if prev_results else "false"),
        CURSOR_LINK_HEADER.format(uri=uri, cursor=str(nxt), name="next",
                                  has_results="true" if next_results else "false"),
    ]
    return ", ".join(links)


@dataclass
class Page:
    items: list
    prev: Cursor
    prev_results: bool
    next: Cursor
    next_results: bool


def offset_page(items: list, cursor: Cursor | None, per_page: int) -> Page:
    """OffsetPaginator (projects, releases): cursor ``per_page:page:is_prev``."""
    page = cursor.offset if cursor else 0
    start = page * per_page
    chunk = items[start:start + per_page]
    return Page(chunk, Cursor(per_page, max(page - 1, 0), True), page > 0,
                Cursor(per_page, page + 1, False), start + per_page < len(items))


def generic_offset_page(items: list, cursor: Cursor | None, per_page: int) -> Page:
    """GenericOffsetPaginator (Discover): cursor ``0:offset:is_prev``."""
    start = cursor.offset if cursor else 0
    chunk = items[start:start + per_page]
    return Page(chunk, Cursor(0, max(start - per_page, 0), True), start > 0,
                Cursor(0, start + per_page, False), start + per_page < len(items))


def score_page(scores_desc_negated: list, items: list, cursor: Cursor | None, limit: int,
               scores: list) -> Page:
    """Keyset pagination on a descending score (SequencePaginator-like).

    ``value`` is a sort score and ``offset`` counts rows already returned at that score, so a cursor stays
    meaningful when rows are added above it. ``scores_desc_negated`` is ``[-s for s in scores]`` (ascending).
    """
    if cursor is None:
        position = 0
    else:
        position = bisect_left(scores_desc_negated, -cursor.value) + cursor.offset
    if cursor is not None and cursor.is_prev:
        end = min(position, len(items))
        begin = max(end - limit, 0)
    else:
        begin = min(position, len(items))
        end = min(begin + limit, len(items))

    def cursor_at(index: int, is_prev: bool) -> Cursor:
        if index >= len(items):
            index = len(items)
            value = scores[-1] if scores else 0
            return Cursor(value, index - bisect_left(scores_desc_negated, -value), is_prev)
        value = scores[index]
        return Cursor(value, index - bisect_left(scores_desc_negated, -value), is_prev)

    return Page(items[begin:end], cursor_at(begin, True), begin > 0, cursor_at(end, False), end < len(items))
