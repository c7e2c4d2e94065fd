"""GlitchTip's list pagination: glitchtip/api/pagination.py AsyncLinkHeaderPagination, built on
ninja_cursor_pagination.CursorPagination (django-ninja-cursor-pagination), settings.NINJA_PAGINATION_*.

- ``limit`` (default NINJA_PAGINATION_PER_PAGE = 50, clamped to 0..100) and ``cursor``: base64 of a query
  string ``o=<offset>&r=1&p=<position>``; the offset is clamped to 0..100. ``position`` is ``str()`` of
  the first ordering field of the last row shown, and the next page filters ``field < position`` (or
  ``>``), so it is keyset pagination on one column; rows tied on it are stepped over with the offset.
- The Link header is ``{", ".join(links)}``: a Python *set*, which Django writes with ``str()``, so the
  header reads ``{'<url>; rel="previous"; results="false", <url>; rel="next"; results="true";
  cursor="…"'}``, braces and quotes included. A link without results has no ``cursor`` attribute.
- X-Hits is the total (capped at max_hits = 1000) when there is another page either way, else the
  page's length; X-Max-Hits is 1000.
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from dataclasses import dataclass
from typing import Callable
from urllib import parse

from ..context import Request
from .ninja import QueryParams

PER_PAGE = 50        # glitchtip/settings.py NINJA_PAGINATION_PER_PAGE
MAX_PAGE_SIZE = 100  # CursorPagination.max_page_size
OFFSET_CUTOFF = 100  # CursorPagination._offset_cutoff
MAX_HITS = 1000      # AsyncLinkHeaderPagination.max_hits


@dataclass
class Cursor:
    offset: int = 0
    reverse: bool = False
    position: str | None = None


@dataclass(frozen=True)
class Ordering:
    """The first ``order_by`` column: how to read it from a row, whether it is descending, and how
    its ``str()`` (the cursor's position) turns back into a comparable value."""
    key: Callable
    descending: bool
    text: Callable = str
    parse: Callable = str


def read_paging(query: QueryParams) -> tuple[int, Cursor]:
    """The pagination Input schema's two fields, validated with the operation's others."""
    limit = query.integer("limit")
    limit = max(0, min(limit or PER_PAGE, MAX_PAGE_SIZE))
    encoded = query.text("cursor")
    if encoded is None:
        return limit, Cursor()
    try:
        tokens = parse.parse_qs(b64decode(encoded).decode(), keep_blank_values=True)
        offset = max(0, min(int(tokens.get("o", ["0"])[0]), OFFSET_CUTOFF))
        reverse = bool(int(tokens.get("r", ["0"])[0]))
        position = tokens.get("p", [None])[0]
    except (TypeError, ValueError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        query.value_error("cursor", "Invalid cursor.")
        return limit, Cursor()
    return limit, Cursor(offset, reverse, position)


def paginate(request: Request, rows: list, ordering: Ordering, limit: int, cursor: Cursor) -> tuple[list, dict]:
    """One page of ``rows`` (already sorted by ``ordering``, ties in the order the database returns them)."""
    base_url = _absolute_uri(request)
    ordered = list(reversed(rows)) if cursor.reverse else rows
    if cursor.position is not None:
        bound = ordering.parse(cursor.position)
        if cursor.reverse != ordering.descending:
            ordered = [row for row in ordered if ordering.key(row) < bound]
        else:
            ordered = [row for row in ordered if ordering.key(row) > bound]
    results = ordered[cursor.offset:cursor.offset + limit + 1]
    page = results[:limit]
    position = lambda row: ordering.text(ordering.key(row))  # noqa: E731
    following = position(results[-1]) if len(results) > len(page) else None
    if cursor.reverse:
        page.reverse()
        has_next = cursor.position is not None or cursor.offset > 0
        has_previous = following is not None
        next_position = cursor.position if has_next else None
        previous_position = following if has_previous else None
    else:
        has_next = following is not None
        has_previous = cursor.position is not None or cursor.offset > 0
        next_position = following if has_next else None
        previous_position = cursor.position if has_previous else None
    nxt = _next_link(base_url, page, cursor, position, has_previous, limit, next_position,
                     previous_position) if has_next else None
    previous = _previous_link(base_url, page, cursor, position, has_next, limit, next_position,
                              previous_position) if has_previous else None
    total = min(len(rows), MAX_HITS) if has_next or has_previous else len(page)
    links = []
    for url, label in ((previous, "previous"), (nxt, "next")):
        if url is not None:
            value = parse.parse_qs(parse.urlparse(url).query).get("cursor", [""])[0]
            links.append(f'<{url}>; rel="{label}"; results="true"; cursor="{value}"')
        else:
            links.append(f'<{base_url}>; rel="{label}"; results="false"')
    headers = {"Link": str({", ".join(links)}), "X-Max-Hits": str(MAX_HITS), "X-Hits": str(total)}
    return page, headers


def _absolute_uri(request: Request) -> str:
    """request.build_absolute_uri(): the URL as asked (rebuilt from the parsed query)."""
    query = parse.urlencode([(k, v) for k, values in request.params.items() for v in values])
    return f"{request.link_base}{request.path}" + (f"?{query}" if query else "")


def _encode(cursor: Cursor, base_url: str) -> str:
    tokens = {}
    if cursor.offset != 0:
        tokens["o"] = str(cursor.offset)
    if cursor.reverse:
        tokens["r"] = "1"
    if cursor.position is not None:
        tokens["p"] = cursor.position
    encoded = b64encode(parse.urlencode(tokens, doseq=True).encode()).decode()
    scheme, netloc, path, query, fragment = parse.urlsplit(base_url)
    query_dict = parse.parse_qs(query, keep_blank_values=True)
    query_dict["cursor"] = [encoded]
    query = parse.urlencode(sorted(query_dict.items()), doseq=True)
    return parse.urlunsplit((scheme, netloc, path, query, fragment))


def _next_link(base_url, page, cursor, position, has_previous, limit, next_position, previous_position) -> str:
    compare = position(page[-1]) if page and cursor.reverse and cursor.offset else next_position
    offset, marker = _marker(reversed(page), compare, position)
    if page and marker is None:  # no row with a position of its own
        if not has_previous:
            offset, marker = limit, None
        elif cursor.reverse:
            offset, marker = 0, previous_position
        else:
            offset, marker = cursor.offset + limit, previous_position
    if not page:
        marker = next_position
    return _encode(Cursor(offset, False, marker), base_url)


def _previous_link(base_url, page, cursor, position, has_next, limit, next_position, previous_position) -> str:
    compare = position(page[0]) if page and not cursor.reverse and cursor.offset else previous_position
    offset, marker = _marker(page, compare, position)
    if page and marker is None:
        if not has_next:
            offset, marker = limit, None
        elif cursor.reverse:
            offset, marker = cursor.offset + limit, next_position
        else:
            offset, marker = 0, next_position
    if not page:
        marker = previous_position
    return _encode(Cursor(offset, True, marker), base_url)


def _marker(rows, compare, position) -> tuple[int, str | None]:
    """Walk from the page's edge to the first row whose position differs from the one beyond it:
    (rows stepped over, that position), or (rows stepped over, None) when every row ties."""
    offset = 0
    for row in rows:
        here = position(row)
        if here != compare:
            return offset, here
        compare = here
        offset += 1
    return offset, None
