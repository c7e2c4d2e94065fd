"""Check a parsed config against the keys its documentation lists (for parsers that ignore typos,
or that refuse unknown keys at start-up where we cannot run them).

A spec is a dict of allowed keys -> sub-spec; ANY allows any value below that key; a one-element
list [spec] means a list whose items follow spec.
"""

from __future__ import annotations

ANY = object()


def unknown_keys(value, spec, path: str = "") -> list[str]:
    if spec is ANY:
        return []
    if isinstance(spec, list):
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [p for i, item in enumerate(value) for p in unknown_keys(item, spec[0], f"{path}[{i}]")]
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return [f"{path}: expected a mapping"]
        problems = []
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in spec:
                problems.append(f"{where}: not a documented key")
            else:
                problems += unknown_keys(item, spec[key], where)
        return problems
    return []  # a scalar leaf (spec None): any scalar value

