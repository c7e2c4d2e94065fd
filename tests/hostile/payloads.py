"""Hypothesis strategies for Sentry responses shaped like the contract but wrong in every field.

Each endpoint has a valid template item; every field may keep a valid value, vanish, turn null,
or become a huge number, a string where a number belongs, odd unicode, a 10,000-character text,
or a nested structure. Whole bodies may also be HTML, truncated JSON or the wrong JSON type.
"""

from __future__ import annotations

import json
import time

from hypothesis import strategies as st

# An hour before the run, whatever the date: an issue seen then is inside every window the exporter counts.
ISO = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() - 3600))
HUGE = [10**30, -10**30, 2**64, 10**400, -1, 1e308, float("inf"), float("-inf"), float("nan")]
NUMERIC_TEXT = ["12", "1e400", "-5", "", "NaN", "Infinity", "0x10", "١٢", "12.5", " 7 ", "9" * 400]
ODD_TEXT = ["\ud800", "a\udfffb", "\x00", "line\nbreak \"quoted\" back\\slash", "é漢字🙂", "{{", "\u202e", "T" * 10_000]

# Hand-picked nasties most of the time (so each shows up within a few dozen examples), else anything.
nasty = st.sampled_from(HUGE + NUMERIC_TEXT + ODD_TEXT + [None, True, [], {}, [1, 2], {"x": None}])
junk = st.one_of(nasty, nasty, nasty, st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                 st.text(max_size=30))


def maybe_wrong(valid) -> st.SearchStrategy:
    valid = valid if isinstance(valid, st.SearchStrategy) else st.just(valid)
    return st.one_of(valid, junk)


def item(template: dict, core: tuple[str, ...] = ()) -> st.SearchStrategy:
    """A dict whose every key may be wrong and, except the `core` ones, missing; rarely not a dict at all.
    Core keys are what makes an item usable: present and mostly valid, so the other fields get parsed."""
    def field(value):
        value = value if isinstance(value, st.SearchStrategy) else st.just(value)
        return st.one_of(value, value, value, junk)
    fields = st.fixed_dictionaries({k: field(v) for k, v in template.items() if k in core},
                                   optional={k: maybe_wrong(v) for k, v in template.items() if k not in core})
    return st.one_of(fields, fields, fields, junk)


project = {"id": st.sampled_from(["1", "2", 1, "3"]), "slug": st.sampled_from(["api", "web", "jobs"]),
           "platform": "python"}
assignee = st.fixed_dictionaries({}, optional={"type": maybe_wrong(st.sampled_from(["user", "team"])),
                                               "name": maybe_wrong(st.sampled_from(["Ann", "ops"])),
                                               "email": maybe_wrong("ann@example.com")})
lifetime = st.fixed_dictionaries({}, optional={"count": maybe_wrong("40"), "firstSeen": maybe_wrong(ISO),
                                               "lastSeen": maybe_wrong(ISO)})
issue = {
    "id": st.sampled_from(["101", "102", "103", 104]), "shortId": st.sampled_from(["API-1", "API-2", "WEB-1"]),
    "title": st.text(max_size=40), "culprit": "app.py in run", "level": st.sampled_from(["error", "warning"]),
    "status": "unresolved", "substatus": st.sampled_from(["ongoing", "new", "regressed", "escalating"]),
    "priority": "high", "assignedTo": st.one_of(st.none(), assignee), "permalink": "https://sentry.io/issues/101/",
    "count": st.sampled_from(["12", "0"]), "userCount": st.integers(0, 50), "firstSeen": ISO, "lastSeen": ISO,
    "lifetime": lifetime, "project": st.fixed_dictionaries({"id": st.just("1"), "slug": maybe_wrong("api")}),
}
stats_group = {
    "by": st.fixed_dictionaries({}, optional={"project": maybe_wrong(st.sampled_from([1, 2])),
                                              "category": maybe_wrong(st.sampled_from(["error", "transaction"])),
                                              "outcome": maybe_wrong(st.sampled_from(["accepted", "filtered"]))}),
    "totals": st.fixed_dictionaries({}, optional={"sum(quantity)": maybe_wrong(st.integers(0, 1000))}),
}
discover_row = {
    "issue": st.sampled_from(["API-1", "API-2", "WEB-1"]), "project": st.sampled_from(["api", "web"]),
    "count()": st.integers(0, 500), "count_unique(tags[workspace_id])": st.integers(0, 50),
    "count_unique(tags[tenant_id])": st.integers(0, 50), "tags[release_stage]": st.sampled_from(["ga", "beta"]),
}
release = {"version": st.sampled_from(["1.0", "2.0", "web@3 (4)"]),
           "projects": st.lists(item({"slug": st.sampled_from(["api", "web"]), "id": 1}), max_size=3)}
session_group = {
    "by": st.fixed_dictionaries({}, optional={"project": maybe_wrong(1), "release": maybe_wrong("1.0"),
                                              "environment": maybe_wrong("production")}),
    "totals": st.fixed_dictionaries({}, optional={"sum(session)": maybe_wrong(100),
                                                  "crash_free_rate(session)": maybe_wrong(0.99),
                                                  "crash_free_rate(user)": maybe_wrong(0.98)}),
}

CORE = {"projects": ("id", "slug"), "issues": ("id", "shortId", "project"), "stats_v2": ("by", "totals"),
        "events": ("issue", "project"), "releases": ("version", "projects"), "sessions": ("by", "totals")}
ITEMS = {"projects": project, "issues": issue, "stats_v2": stats_group, "events": discover_row,
         "releases": release, "sessions": session_group}
WRAPPER = {"stats_v2": "groups", "events": "data", "sessions": "groups"}  # object bodies: the list's key
PAGINATED = {"projects", "issues"}


def broken_body(valid: bytes) -> st.SearchStrategy:
    """Plainly broken bodies with status 200: HTML, truncated JSON, the wrong JSON type, nothing."""
    return st.one_of(
        st.just(b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        st.integers(0, max(0, len(valid) - 1)).map(lambda n: valid[:n]),
        st.sampled_from([b"", b"null", b"{}", b"[]", b"\"text\"", b"42", b"\xff\xfe garbage", b"[" * 5000]),
    )


@st.composite
def endpoint_pages(draw, endpoint: str) -> list[tuple[bytes, str | None]]:
    """One to three pages of (body, next cursor). Cursors may loop back; later pages may be empty."""
    count = draw(st.integers(1, 3)) if endpoint in PAGINATED else 1
    pages = []
    for index in range(count):
        items = draw(st.lists(item(ITEMS[endpoint], CORE[endpoint]), max_size=4))
        extra = draw(st.dictionaries(st.sampled_from(["meta", "intervals", "start"]), junk, max_size=2))
        data = items if endpoint not in WRAPPER else {**extra, WRAPPER[endpoint]: items}
        if endpoint not in WRAPPER and draw(st.integers(0, 9)) == 0:
            data = draw(st.one_of(junk, st.just({"data": items})))  # a list endpoint answering an object
        body = json.dumps(data, allow_nan=True).encode()
        if draw(st.integers(0, 7)) == 0:
            body = draw(broken_body(body))
        last = index == count - 1
        cursor = f"0:{index + 1}:0" if endpoint in PAGINATED else None
        if endpoint in PAGINATED and (last or draw(st.integers(0, 5)) == 0):
            cursor = draw(st.sampled_from([None, None, "0:0:0", f"0:{index + 1}:0"]))  # end, loop, or empty tail
        pages.append((body, cursor))
    return pages
