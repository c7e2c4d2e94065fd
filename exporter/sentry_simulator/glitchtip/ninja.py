"""django-ninja's answers, as GlitchTip (django-ninja ~=1.5, pydantic ~=2.11, pyproject.toml) gives them.

- An operation's query parameters are validated before the view runs; every failure is collected into
  one 422 ``{"detail": [{"type", "loc", "msg"[, "ctx"]}, ...]}`` (ninja/operation.py ``_get_values``:
  pydantic's ``errors(include_url=False)`` minus ``input``, ``loc`` prefixed by the source, "query").
- ``HttpError(status, message)`` is ``{"detail": message}``; ``Http404`` is ``{"detail": "Not Found"}``
  with DEBUG off; an unauthenticated request is 401 ``{"detail": "Unauthorized"}`` (ninja/errors.py).
- A parameter given twice: lists take every value, anything else the last one (Django's QueryDict.get).
"""

from __future__ import annotations

from ..errors import ApiError
from ..timeutil import parse_iso

UNAUTHORIZED = ApiError(401, "Unauthorized")
# glitchtip/api/permissions.py has_permission: a token lacking every listed scope.
PERMISSION_DENIED = "Permission denied"


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def literal_message(choices) -> str:
    """pydantic's literal_error wording: 'a', 'b' or 'c'."""
    quoted = [f"'{c}'" for c in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


class QueryParams:
    """Reads query parameters as a ninja operation's signature does, collecting pydantic's errors."""

    def __init__(self, params: dict):
        self.params = params
        self.errors: list[dict] = []

    def _last(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else None

    def literal(self, name: str, choices, default=None, required: bool = False, loc: tuple | None = None):
        value = self._last(name)
        if value is None:
            if required:
                self.missing(name, loc)
            return default
        if value not in choices:
            expected = literal_message(choices)
            self.errors.append({"type": "literal_error", "loc": ["query", *(loc or (name,))],
                                "msg": f"Input should be {expected}", "ctx": {"expected": expected}})
            return default
        return value

    def missing(self, name: str, loc: tuple | None = None) -> None:
        self.errors.append({"type": "missing", "loc": ["query", *(loc or (name,))], "msg": "Field required"})

    def integer(self, name: str, default: int | None = None, loc: tuple | None = None) -> int | None:
        value = self._last(name)
        if value is None:
            return default
        number = _as_int(value)
        if number is None:
            self._int_error((loc or (name,)))
            return default
        return number

    def int_list(self, name: str, loc: tuple) -> list[int] | None:
        """A ``list[int]`` field: each value parsed; ``loc`` is its path with the index appended."""
        values = self.params.get(name)
        if not values:
            return None
        numbers = []
        for index, value in enumerate(values):
            number = _as_int(value)
            if number is None:
                self._int_error((*loc, index))
            else:
                numbers.append(number)
        return numbers

    def str_list(self, name: str) -> list[str] | None:
        return list(self.params[name]) if self.params.get(name) else None

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self._last(name)
        return default if value is None else value

    def datetime(self, name: str, required: bool = False, value: str | None = None) -> float | None:
        """A ``datetime`` field: ISO 8601 text to epoch seconds (``value`` if the caller read it already)."""
        value = self._last(name) if value is None else value
        if value is None:
            if required:
                self.missing(name)
            return None
        parsed = parse_iso(value)
        if parsed is None:
            self.errors.append({"type": "datetime_from_date_parsing", "loc": ["query", name],
                                "msg": "Input should be a valid datetime or date, invalid character in year",
                                "ctx": {"error": "invalid character in year"}})
        return parsed

    def value_error(self, name: str, message: str) -> None:
        self.errors.append({"type": "value_error", "loc": ["query", name], "msg": f"Value error, {message}",
                            "ctx": {"error": message}})

    def check(self) -> None:
        if self.errors:
            raise ApiError(422, {"detail": self.errors})

    def _int_error(self, loc: tuple) -> None:
        self.errors.append({"type": "int_parsing", "loc": ["query", *loc],
                            "msg": "Input should be a valid integer, unable to parse string as an integer"})


def _as_int(text: str) -> int | None:
    """pydantic's lax int from a string: optional sign, digits, surrounding spaces."""
    try:
        return int(text.strip())
    except ValueError:
        return None
