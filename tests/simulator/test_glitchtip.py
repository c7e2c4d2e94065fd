"""The GlitchTip flavour answers as GlitchTip does (true-og/glitchtip-backend c264800).

Each test names the GlitchTip source it checks. Shapes are checked against GlitchTip's own ninja
schemas, rebuilt here as pydantic models with the same field names and types (``extra="forbid"``, so
a field GlitchTip does not send fails), and its 422 bodies against what pydantic itself reports for
the parameter types GlitchTip declares.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from datetime import datetime, timezone
from typing import Any, Literal

import pytest
import requests
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from simapi import NOW, TOKEN

from sentry_simulator import FakeClock, Org, SimulatorServer, build_org

HOUR = 3600
ISSUES = "organizations/acme/issues/"


class GlitchTip:
    """GET helper against a GlitchTip-flavoured simulator."""

    def __init__(self, server, token: str = TOKEN):
        self.server = server
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params=None, headers=None) -> requests.Response:
        return requests.get(f"{self.server.url}/api/0/{path}", params=params, timeout=10,
                            headers=headers if headers is not None else self.headers)

    def json(self, path: str, params=None):
        response = self.get(path, params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def gt_org() -> Org:
    return build_org(slug="acme", projects=3, unresolved=120, resolved=10, seed=7, now=NOW)


@pytest.fixture(scope="module")
def gt(gt_org):
    with SimulatorServer(gt_org, clock=FakeClock(NOW), token=TOKEN, flavor="glitchtip") as server:
        yield GlitchTip(server)


@pytest.fixture
def env_org():
    """Two issues seen in two environments, one only in production: exact per-environment counts."""
    org = Org(slug="acme", environments=("production", "staging"), created=NOW - 30 * 86400)
    org.add_project("web", project_id="7")
    org.add_project("api", project_id="8")
    both = org.create_issue("web", level="error", title="ValueError: both")
    only = org.create_issue("api", level="warning", title="KeyError: production only")
    org.record_events(both.id, 15, at=NOW - 2 * HOUR, environment="production", tags={"release": "1.0"})
    org.record_events(both.id, 10, at=NOW - HOUR, environment="staging", tags={"release": "1.1"})
    org.record_events(only.id, 4, at=NOW - HOUR, environment="production")
    return org, both, only


@pytest.fixture
def env_gt(env_org):
    with SimulatorServer(env_org[0], clock=FakeClock(NOW), token=TOKEN, flavor="glitchtip") as server:
        yield GlitchTip(server)


# ------------------------------------------------------------------ GlitchTip's schemas, rebuilt
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ProjectReference(_Strict):
    """apps/issue_events/schema.py ProjectReference: id (str) + platform, slug, name."""
    id: str
    platform: str | None
    slug: str
    name: str


class IssueSchema(_Strict):
    """apps/issue_events/schema.py IssueSchema, by alias (to_camel_with_lower_id)."""
    id: str
    count: str
    type: Literal["default", "error", "csp"]
    level: Literal["sample", "debug", "info", "warning", "error", "fatal"]
    status: Literal["unresolved", "resolved", "ignored"]
    project: ProjectReference
    shortId: str
    numComments: int
    stats: dict[str, list[list[float]]] | None
    shareId: int | None
    logger: str | None
    permalink: str | None
    statusDetails: dict[str, str] | None
    subscriptionDetails: str | None
    userCount: int | None
    matchingEventId: str | None
    firstSeen: str
    lastSeen: str
    title: str
    metadata: dict[str, Any]
    culprit: str


class IssueTagTopValue(_Strict):
    name: str
    value: str
    count: int
    key: str


class IssueTagSchema(_Strict):
    """apps/issue_events/schema.py IssueTagSchema (CamelSchema)."""
    topValues: list[IssueTagTopValue]
    uniqueValues: int
    key: str
    name: str
    totalValues: int


class TeamSlugSchema(_Strict):
    id: str
    slug: str


class ProjectTeamSchema(_Strict):
    """apps/teams/schema.py ProjectTeamSchema = apps/projects/schema.py ProjectSchema + teams."""
    id: str
    name: str
    slug: str
    avatar: dict[str, str | None]
    color: str
    features: list
    hasAccess: bool
    isBookmarked: bool
    isInternal: bool
    isMember: bool
    isPublic: bool
    scrubIPAddresses: bool
    dateCreated: str
    platform: str | None
    firstEvent: str | None
    eventThrottleRate: int
    teams: list[TeamSlugSchema]


def ninja_422(model: type[BaseModel], data: dict, prefix: tuple = ()) -> dict:
    """The body django-ninja builds from pydantic's error (ninja/operation.py _get_values): loc
    prefixed with "query" (and the nested model's name where ninja's flatten map keeps it), input
    dropped, no url; 422 with {"detail": [...]} (ninja/errors.py _default_validation_error)."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    errors = []
    for error in caught.value.errors(include_url=False):
        error = dict(error)
        del error["input"]
        error["loc"] = ["query", *prefix, *error["loc"]]
        errors.append(error)
    return {"detail": errors}


# ------------------------------------------------------------------ starting it
def test_the_flavour_is_chosen_by_argument_and_by_the_command_line():
    with pytest.raises(ValueError, match="unknown flavor"):
        SimulatorServer(Org(), flavor="bugsnag")
    process = subprocess.Popen([sys.executable, "-m", "sentry_simulator", "--port", "0", "--issues", "5",
                                "--flavor", "glitchtip", "--token", "gt_cli"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split()[0].removeprefix("SENTRY_URL=")
        settings = requests.get(f"{url}/api/settings/", timeout=10)
        assert settings.status_code == 200 and "iPaidForGlitchTip" in settings.json()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_settings_tells_glitchtip_from_sentry_without_a_token(gt, gt_org):
    """glitchtip/api/api.py get_settings: GET /api/settings/, auth=None, SettingsOut. Sentry has no such
    route: the Sentry flavour answers Django's HTML 404 there."""
    response = requests.get(f"{gt.server.url}/api/settings/", timeout=10)
    body = response.json()
    assert response.status_code == 200 and body["iPaidForGlitchTip"] is False and isinstance(body["version"], str)
    assert set(body) == {"socialApps", "billingEnabled", "iPaidForGlitchTip", "enableUserRegistration",
                         "enableSocialAppsUserRegistration", "enableOrganizationCreation", "stripePublicKey",
                         "plausibleUrl", "plausibleDomain", "chatwootWebsiteToken", "sentryDSN",
                         "sentryTracesSampleRate", "environment", "version", "serverTimeZone",
                         "glitchtipInstanceName"}
    with SimulatorServer(gt_org, clock=FakeClock(NOW), token=TOKEN) as sentry:
        answer = requests.get(f"{sentry.url}/api/settings/", timeout=10)
    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html")


# ------------------------------------------------------------------ auth, scopes, unmatched paths
@pytest.mark.parametrize("header", [None, "Bearer wrong", "Token " + TOKEN, "Bearer", "Basic abc"])
def test_every_authentication_failure_is_ninjas_401(gt, header):
    """glitchtip/api/authentication.py TokenAuth (ninja HttpBearer) then SessionAuth; ninja/errors.py
    _default_authentication_error: 401 {"detail": "Unauthorized"}, no WWW-Authenticate."""
    response = gt.get(ISSUES, headers={} if header is None else {"Authorization": header})
    assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
    assert "WWW-Authenticate" not in response.headers


def test_a_token_without_the_scope_is_403_permission_denied(gt_org):
    """glitchtip/api/permissions.py has_permission: HttpError(403, "Permission denied"); the releases
    list needs project:releases, the issues list one of event:read|write|admin (apps/issue_events/api/issues.py)."""
    scopes = {"narrow": ["org:read", "project:read"]}
    with SimulatorServer(gt_org, clock=FakeClock(NOW), token=[TOKEN, "narrow"], flavor="glitchtip",
                         token_scopes=scopes) as server:
        narrow = GlitchTip(server, "narrow")
        response = narrow.get(ISSUES)
        assert (response.status_code, response.json()) == (403, {"detail": "Permission denied"})
        assert narrow.get("organizations/acme/projects/").status_code == 200
        assert GlitchTip(server).get(ISSUES).status_code == 200  # a token not named has every scope


@pytest.mark.parametrize("path", ["organizations/acme/events/", "organizations/acme/sessions/",
                                  "organizations/acme/monitors/abc/checkins/", "organizations/acme/detectors/"])
def test_sentry_only_endpoints_are_glitchtips_html_404(gt, path):
    """No such route in glitchtip/api/api.py's routers nor in glitchtip/urls.py's patterns: Django's
    404 handler renders templates/404.html (DEBUG off), with or without a token."""
    for headers in (gt.headers, {}):
        response = gt.get(path, {"dataset": "errors"}, headers=headers)
        assert response.status_code == 404 and response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Page not found" in response.text and "Error code: 404 Not Found" in response.text


def test_a_releases_deploys_path_is_the_angular_apps_page(gt):
    """apps/releases/api.py has no GET …/deploys/ ("Not implemented"); glitchtip/urls.py's catch-all
    ``(.*)/releases…`` then serves the single-page app's index.html: a 200 that is HTML, not JSON."""
    response = gt.get("organizations/acme/releases/1.0.0/deploys/")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert "<title>GlitchTip</title>" in response.text


def test_an_unknown_org_is_ninjas_json_404(gt):
    """apps/issue_events/api/issues.py get_queryset: aget_object_or_404(Organization, slug=…);
    ninja/errors.py _default_404 with DEBUG off: {"detail": "Not Found"}."""
    response = gt.get("organizations/nope/issues/")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


# ------------------------------------------------------------------ the issues listing
def test_sentry_sorts_are_a_422_with_pydantics_literal_error(gt):
    """apps/issue_events/api/issues.py: ``sort: sort_options = "-last_seen"``, a Literal of the four
    fields with optional '-'. The body is what pydantic reports for that Literal."""
    sort_options = Literal["last_seen", "first_seen", "count", "priority",
                           "-last_seen", "-first_seen", "-count", "-priority"]

    class Params(BaseModel):
        sort: sort_options = "-last_seen"

    for sort in ("date", "new", "freq", "user"):
        response = gt.get(ISSUES, {"sort": sort, "query": "is:unresolved"})
        assert response.status_code == 422
        assert response.json() == ninja_422(Params, {"sort": sort})
        assert isinstance(response.json()["detail"], list)
    for sort in ("-last_seen", "-first_seen", "count", "-priority"):
        assert gt.get(ISSUES, {"sort": sort}).status_code == 200


def test_a_non_integer_project_is_a_422_naming_the_nested_field(gt):
    """IssueFilters.project__in: list[int] with alias "project", inside ``filters: Query[IssueFilters]``:
    an indexed loc is not in ninja's flatten map, so it keeps the model name."""
    class IssueFilters(BaseModel):
        project: list[int] | None = None

    response = gt.get(ISSUES, {"project": ["7", "web"]})
    assert response.status_code == 422
    expected = ninja_422(IssueFilters, {"project": ["7", "web"]}, ("filters",))
    expected["detail"] = [e for e in expected["detail"] if e["type"] == "int_parsing"]
    assert response.json() == expected


def test_project_minus_one_matches_nothing_and_no_project_means_every_project(gt, gt_org):
    """IssueFilters.project__in is applied literally: ``project__in=[-1]`` matches no project id."""
    minus_one = gt.get(ISSUES, {"project": "-1"})
    assert minus_one.status_code == 200 and minus_one.json() == []
    every = _all_issues(gt, {})
    assert {i["project"]["slug"] for i in every} == {p.slug for p in gt_org.projects.values()}
    assert len(every) == len(gt_org.issues)
    one = next(iter(gt_org.projects.values()))
    assert {i["project"]["id"] for i in _all_issues(gt, {"project": one.id})} == {one.id}


def test_group_is_ignored_and_id_filters(gt, gt_org):
    """IssueFilters has ``id__in`` (alias "id"), no ``group``: a group= look-up lists every issue."""
    wanted = sorted(gt_org.issues)[:3]
    by_group = gt.get(ISSUES, {"group": [str(i) for i in wanted], "limit": 100})
    assert by_group.headers["X-Hits"] == str(len(gt_org.issues))
    by_id = gt.json(ISSUES, {"id": [str(i) for i in wanted]})
    assert sorted(int(i["id"]) for i in by_id) == wanted


def test_an_environment_listing_counts_every_environment(env_gt, env_org):
    """filter_issue_list: ``environment`` keeps issues with that environment tag; ``count`` is
    Issue.count, the total. Per-environment counts are list_issue_tags' (next test)."""
    _org, both, only = env_org
    production = {i["id"]: i["count"] for i in env_gt.json(ISSUES, {"environment": "production"})}
    staging = {i["id"]: i["count"] for i in env_gt.json(ISSUES, {"environment": "staging"})}
    assert production == {str(both.id): "25", str(only.id): "4"}
    assert staging == {str(both.id): "25"}
    assert env_gt.json(ISSUES, {"environment": "nowhere"}) == []  # 200 and empty, not Sentry's 404


def test_per_environment_counts_are_the_issues_tags(env_gt, env_org):
    """list_issue_tags: IssueTag rows summed per (key, value), most first; ``?key=`` keeps one key."""
    _org, both, _only = env_org
    tags = env_gt.json(f"issues/{both.id}/tags/", {"key": "environment"})
    TypeAdapter(list[IssueTagSchema]).validate_python(tags)
    assert tags == [{"topValues": [
        {"name": "production", "value": "production", "count": 15, "key": "environment"},
        {"name": "staging", "value": "staging", "count": 10, "key": "environment"}],
        "uniqueValues": 2, "key": "environment", "name": "environment", "totalValues": 25}]
    every = env_gt.json(f"issues/{both.id}/tags/")
    assert {t["key"] for t in every} == {"environment", "release"}
    assert env_gt.json(f"issues/{both.id}/tags/", {"key": "browser"}) == []
    assert env_gt.get("issues/999/tags/").status_code == 404


def test_issues_have_glitchtips_schema_and_nothing_more(gt):
    """IssueSchema: count a string, userCount 0, stats {"24h": []}, no substatus/priority/assignedTo/
    lifetime/filtered; shortId SLUG-base32 (Issue.short_id_display, utils.int2base(n, 32));
    dates as DjangoJSONEncoder writes them; permalink under the project slug (resolve_permalink)."""
    issues = _all_issues(gt, {})
    TypeAdapter(list[IssueSchema]).validate_python(issues)
    for issue in issues:
        assert issue["userCount"] == 0 and issue["stats"] == {"24h": []} and int(issue["count"]) >= 1
        slug, number = issue["shortId"].rsplit("-", 1)
        assert slug == issue["project"]["slug"].upper() and set(number) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUV")
        assert issue["permalink"] == f"{gt.server.url}/{issue['project']['slug']}/issues/{issue['id']}"
        for stamp in (issue["firstSeen"], issue["lastSeen"]):
            assert stamp.endswith("Z") and len(stamp) in (20, 24)
            datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_short_ids_count_in_base32(env_org):
    """Issue.short_id_display: base32_encode(10) == "A", (32) == "10" (apps/issue_events/utils.py)."""
    from sentry_simulator.glitchtip.api_issues import short_id
    org = env_org[0]
    issues = [org.create_issue("web") for _ in range(40)]
    by_number = {int(i.short_id.rsplit("-", 1)[1], 36): short_id(i) for i in issues}
    assert by_number[10] == "WEB-A" and by_number[31] == "WEB-V" and by_number[32] == "WEB-10"


def test_the_listing_is_sorted_and_paged_by_glitchtips_cursor(gt, gt_org):
    """glitchtip/api/pagination.py: default limit 50 (settings.NINJA_PAGINATION_PER_PAGE), keyset
    cursors (base64 of o=&r=&p=), a Link header that is ``str()`` of a Python set, X-Hits the total."""
    first = gt.get(ISSUES, {"sort": "-last_seen"})
    assert len(first.json()) == 50 and first.headers["X-Hits"] == str(len(gt_org.issues))
    link = first.headers["Link"]
    assert link.startswith("{'<") and link.endswith("'}")
    assert 'rel="previous"; results="false", <' in link and 'rel="next"; results="true"; cursor="' in link
    cursor = link.split('cursor="')[1].split('"')[0]
    assert base64.b64decode(cursor).decode().startswith("p=")
    pages = _all_issues(gt, {"sort": "-last_seen"})
    stamps = [i["lastSeen"] for i in pages]
    assert len({i["id"] for i in pages}) == len(gt_org.issues) == len(pages)
    assert stamps == sorted(stamps, reverse=True)
    counts = [int(i["count"]) for i in _all_issues(gt, {"sort": "count", "limit": 100})]
    assert counts == sorted(counts)


def test_a_bad_cursor_is_a_422_value_error(gt):
    """ninja_cursor_pagination CursorPagination.Input.decode_cursor: ValueError("Invalid cursor.")
    when the offset is not a number or the base64 is cut; b64decode skips foreign characters."""
    assert gt.get(ISSUES, {"cursor": "%%%"}).status_code == 200
    for cursor in (base64.b64encode(b"o=x").decode(), "abc"):
        response = gt.get(ISSUES, {"cursor": cursor})
        assert response.status_code == 422
        assert response.json() == {"detail": [{"type": "value_error", "loc": ["query", "cursor"],
                                               "msg": "Value error, Invalid cursor.",
                                               "ctx": {"error": "Invalid cursor."}}]}


def test_projects_have_glitchtips_schema(gt, gt_org):
    """apps/projects/api.py list_organization_projects: ordered by name, project:read, ProjectTeamSchema."""
    projects = gt.json("organizations/acme/projects/")
    TypeAdapter(list[ProjectTeamSchema]).validate_python(projects)
    assert [p["name"] for p in projects] == sorted(p.name for p in gt_org.projects.values())
    assert gt.json("organizations/other/projects/") == []  # get_projects_queryset only filters


def _all_issues(gt: GlitchTip, params: dict) -> list[dict]:
    """Every page, following the rel="next" cursor until results="false"."""
    params, issues = dict(params), []
    for _ in range(100):
        response = gt.get(ISSUES, params)
        assert response.status_code == 200, response.text
        issues += response.json()
        link = response.headers["Link"]
        nxt = link[link.index('rel="next"') - 2:]
        if 'results="false"' in nxt:
            return issues
        params["cursor"] = nxt.split('cursor="')[1].split('"')[0]
    raise AssertionError("more than 100 pages")


# ------------------------------------------------------------------ stats_v2
STATS = "organizations/acme/stats_v2/"


@pytest.fixture
def stats_org():
    """Accepted errors in two hours, a drop that GlitchTip never counts, a transaction, and an hour
    where only the other project has events."""
    org = Org(slug="acme", created=NOW - 30 * 86400)
    org.add_project("web", project_id="7")
    org.add_project("api", project_id="8")
    top = NOW - NOW % HOUR  # an hour boundary
    org.record_outcome("7", "error", "accepted", 5, at=top - 3 * HOUR + 60)
    org.record_outcome("7", "default", "accepted", 2, at=top - 3 * HOUR + 120)
    org.record_outcome("7", "error", "filtered", 40, at=top - 3 * HOUR + 60)
    org.record_outcome("7", "error", "accepted", 3, at=top - HOUR + 30)
    org.record_outcome("8", "error", "accepted", 9, at=top - 2 * HOUR)
    org.record_outcome("7", "transaction", "accepted", 11, at=top - HOUR)
    return org, top


@pytest.fixture
def stats_gt(stats_org):
    with SimulatorServer(stats_org[0], clock=FakeClock(NOW), token=TOKEN, flavor="glitchtip") as server:
        yield GlitchTip(server)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_stats_take_one_category_and_run_to_end_plus_an_hour(stats_gt, stats_org):
    """apps/stats/api.py: start floored to the hour, end = (end + 1 h) floored, generate_series inclusive;
    an hour without rows is null; every error-type event is counted, drops are not (accepted only)."""
    _org, top = stats_org
    params = {"category": "error", "field": "sum(quantity)", "start": _iso(top - 3 * HOUR + 1800),
              "end": _iso(top - HOUR), "project": "7"}
    body = stats_gt.json(STATS, params)
    hours = [top - 3 * HOUR, top - HOUR, top]  # top - 2h holds only project 8's row: dropped
    assert body == {"intervals": [datetime.fromtimestamp(h, tz=timezone.utc).isoformat()
                                  for h in hours],
                    "groups": [{"series": {"sum(quantity)": [7, 3, None]}}]}
    every = stats_gt.json(STATS, {**params, "project": None, "field": "sum(times_seen)"})
    assert every["groups"][0]["series"]["sum(times_seen)"] == [7, 9, 3, None]
    transactions = stats_gt.json(STATS, {**params, "category": "transaction"})
    assert transactions["groups"][0]["series"]["sum(quantity)"] == [None, None, 11, None]


def test_stats_parameters_are_glitchtips(stats_gt, stats_org):
    """StatsV2Schema: category and field Literals, start and end required; project list[int >= -1],
    so -1 validates and then selects nothing: Http404."""
    _org, top = stats_org

    class StatsV2Schema(BaseModel):
        category: Literal["error", "transaction"]
        interval: Literal["1d", "1h", "1m"] | None = "1h"
        field: Literal["sum(quantity)", "sum(times_seen)"]
        start: datetime
        end: datetime

    sentry_style = {"statsPeriod": "24h", "groupBy": ["outcome", "category"], "field": "sum(quantity)",
                    "interval": "1h"}
    response = stats_gt.get(STATS, sentry_style)
    assert response.status_code == 422
    assert response.json() == ninja_422(StatsV2Schema, {"field": "sum(quantity)", "interval": "1h"})
    window = {"category": "error", "field": "sum(quantity)", "start": _iso(top - 2 * HOUR), "end": _iso(top)}
    response = stats_gt.get(STATS, {**window, "project": "-1"})
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    ignored = stats_gt.json(STATS, {**window, "groupBy": "outcome", "outcome": "filtered"})
    assert ignored == stats_gt.json(STATS, window)
    too_long = stats_gt.get(STATS, {**window, "start": _iso(top - 42 * 86400)})
    assert (too_long.status_code, too_long.json()) == (422, {"detail": [{"end": "Too many intervals"}]})


def test_a_day_bucket_holds_its_first_hour_only(stats_gt, stats_org):
    """EVENT_TIME_SERIES_SQL joins ``date >= gs.ts AND date < gs.ts + interval '1 hour'`` whatever the
    interval: with interval=1d each bucket sums one hour."""
    _org, top = stats_org
    day = top - top % 86400
    body = stats_gt.json(STATS, {"category": "error", "field": "sum(quantity)", "interval": "1d",
                                 "start": _iso(day), "end": _iso(day)})
    assert len(body["intervals"]) == 1 and body["intervals"][0].endswith("T00:00:00+00:00")
    assert top - 3 * HOUR > day  # NOW is 14:13 UTC: the fixture's events are hours after midnight
    assert body["groups"][0]["series"]["sum(quantity)"] == [None]


# ------------------------------------------------------------------ releases
class NameSlugProjectSchema(_Strict):
    name: str
    slug: str


class ReleaseSchema(_Strict):
    """apps/releases/schema.py ReleaseSchema by alias (CamelSchema; released -> dateReleased,
    created -> dateCreated, short_version -> shortVersion; Meta.fields url, data, deploy_count, version)."""
    ref: str | None
    dateReleased: str | None
    version: str
    shortVersion: str
    url: str | None
    data: dict
    deployCount: int
    dateCreated: str
    projects: list[NameSlugProjectSchema]


@pytest.fixture
def release_org():
    org = Org(slug="acme", created=NOW - 30 * 86400)
    org.add_project("web", project_id="7")
    org.add_project("api", project_id="8")
    for number in range(60):
        org.create_release(f"1.{number}", ["7"] if number % 2 else ["7", "8"], created=NOW - (60 - number) * HOUR,
                           released=NOW - (60 - number) * HOUR + 60 if number % 3 else None)
    return org


def test_releases_list_newest_first_with_glitchtips_schema_and_no_health(release_org):
    """apps/releases/api.py list_releases: @paginate over get_releases_queryset, ordered by the
    paginator's default -created; a project:releases token only."""
    with SimulatorServer(release_org, clock=FakeClock(NOW), token=[TOKEN, "reader"], flavor="glitchtip",
                         token_scopes={"reader": ["org:read", "project:read", "event:read"]}) as server:
        gt = GlitchTip(server)
        first = gt.get("organizations/acme/releases/", {"project": "8", "health": "1", "per_page": "10"})
        assert first.status_code == 200 and len(first.json()) == 50  # per_page and project are not parameters
        TypeAdapter(list[ReleaseSchema]).validate_python(first.json())
        assert first.json()[0]["version"] == "1.59" and first.json()[0]["projects"] == [{"name": "Web", "slug": "web"}]
        assert first.headers["X-Hits"] == "60"
        cursor = first.headers["Link"].split('cursor="')[-1].split('"')[0]
        rest = gt.json("organizations/acme/releases/", {"cursor": cursor})
        versions = [r["version"] for r in first.json() + rest]
        assert versions == [f"1.{n}" for n in range(59, -1, -1)]
        assert all("healthData" not in r and "newGroups" not in r for r in first.json())
        denied = GlitchTip(server, "reader").get("organizations/acme/releases/")
        assert (denied.status_code, denied.json()) == (403, {"detail": "Permission denied"})
        assert gt.json("organizations/other/releases/") == []


# ------------------------------------------------------------------ monitors
class MonitorCheckSchema(_Strict):
    isUp: bool
    startCheck: str
    reason: int | None


class MonitorCheckResponseTimeSchema(MonitorCheckSchema):
    responseTime: int | None


class MonitorSchema(_Strict):
    """apps/uptime/schema.py MonitorSchema by alias: glitchtip/schema.py to_camel turns a word "id" into "ID"."""
    id: int
    monitorType: Literal["Ping", "GET", "POST", "TCP Port", "SSL", "Heartbeat"]
    endpointID: str | None
    created: str
    name: str
    url: str
    expectedStatus: int | None
    expectedBody: str
    interval: int
    timeout: int | None
    projectID: str | None
    environmentID: int | None
    isUp: bool | None
    lastChange: str | None
    heartbeatEndpoint: str | None
    projectName: str | None
    envName: str | None
    checks: list[MonitorCheckSchema]
    organizationID: int


@pytest.fixture
def monitor_org():
    org = Org(slug="acme", created=NOW - 30 * 86400)
    org.add_project("web", project_id="7")
    site = org.add_uptime_monitor("Shop", "7", "https://shop.example.com/", created=NOW - 10 * HOUR)
    for minutes, status in ((50, "success"), (40, "failure"), (30, "failure"), (20, "success"), (10, "success")):
        org.record_uptime_check(site.id, status, at=NOW - minutes * 60, http_status=200 if status == "success" else 503)
    org.add_uptime_monitor("Idle", "7", "https://idle.example.com/", created=NOW - 20 * HOUR)
    cron = org.add_monitor("nightly", "7", interval_minutes=60, created=NOW - 5 * HOUR)
    org.record_checkin("nightly", "ok", at=NOW - 2 * HOUR)
    org.record_checkin("nightly", "missed", at=NOW - HOUR)
    return org, cron


def test_monitors_are_glitchtips_uptime_and_heartbeat_monitors(monitor_org):
    """apps/uptime/api.py list_monitors (no scope check, -created order) with MonitorSchema; isUp the
    latest check, lastChange the latest is_change check (isoformat with microseconds, "Z")."""
    org, _cron = monitor_org
    with SimulatorServer(org, clock=FakeClock(NOW), token=[TOKEN, "none"], flavor="glitchtip",
                         token_scopes={"none": []}) as server:
        body = GlitchTip(server, "none").json("organizations/acme/monitors/")
    TypeAdapter(list[MonitorSchema]).validate_python(body)
    assert [m["name"] for m in body] == ["Nightly", "Shop", "Idle"]
    nightly, shop, idle = body
    assert (shop["monitorType"], shop["isUp"], shop["projectID"], shop["environmentID"]) == ("GET", True, "7", 1)
    assert shop["lastChange"] == datetime.fromtimestamp(NOW - 20 * 60, timezone.utc).isoformat().replace("+00:00", "Z")
    assert [c["isUp"] for c in shop["checks"]] == [True, True, False, False, True]
    assert (idle["isUp"], idle["lastChange"], idle["checks"]) == (None, None, [])
    assert nightly["monitorType"] == "Heartbeat" and nightly["isUp"] is False and nightly["url"] == ""
    assert nightly["heartbeatEndpoint"].endswith(f"/api/0/organizations/acme/heartbeat_check/{nightly['endpointID']}/")


def test_a_monitors_checks_are_paged_newest_first(monitor_org):
    """list_monitor_checks: MonitorCheckResponseTimeSchema, -start_check, ``is_change`` filter; an unknown
    monitor is an empty list, not a 404."""
    org, _cron = monitor_org
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN, flavor="glitchtip") as server:
        gt = GlitchTip(server)
        shop = next(m for m in gt.json("organizations/acme/monitors/") if m["name"] == "Shop")
        checks = gt.json(f"organizations/acme/monitors/{shop['id']}/checks/")
        TypeAdapter(list[MonitorCheckResponseTimeSchema]).validate_python(checks)
        assert [(c["isUp"], c["reason"]) for c in checks] == [(True, None), (True, None), (False, 2), (False, 2),
                                                             (True, None)]
        changes = gt.json(f"organizations/acme/monitors/{shop['id']}/checks/", {"is_change": "true"})
        assert [c["isUp"] for c in changes] == [True, False, True]
        first = gt.get(f"organizations/acme/monitors/{shop['id']}/checks/", {"limit": "2"})
        assert first.headers["X-Hits"] == "5" and len(first.json()) == 2
        assert gt.json("organizations/acme/monitors/999/checks/") == []
        assert gt.get(f"organizations/acme/monitors/{shop['id']}/checks/", {"is_change": "maybe"}).status_code == 422


# ------------------------------------------------------------------ the organization
class TeamSchema(_Strict):
    id: str
    slug: str
    dateCreated: str
    isMember: bool
    memberCount: int


class OrganizationDetailSchema(_Strict):
    """apps/teams/schema.py OrganizationDetailSchema = apps/organizations_ext/schema.py OrganizationSchema
    + projects + teams."""
    id: str
    name: str
    slug: str
    isAcceptingEvents: bool
    eventThrottleRate: int
    dateCreated: str
    status: dict[str, str]
    avatar: dict[str, str | None]
    isEarlyAdopter: bool
    require2fa: bool
    projects: list[ProjectTeamSchema]
    teams: list[TeamSchema]


def test_the_organization_has_glitchtips_schema(gt, gt_org):
    """apps/organizations_ext/api.py get_organization: org:read|write|admin, 404 for another slug."""
    body = gt.json("organizations/acme/")
    OrganizationDetailSchema.model_validate(body)
    assert body["slug"] == "acme" and len(body["projects"]) == len(gt_org.projects)
    assert "features" not in body and "links" not in body  # Sentry's, not GlitchTip's
    assert gt.get("organizations/other/").json() == {"detail": "Not Found"}


def test_keyset_paging_steps_over_ties_up_to_its_offset_cutoff():
    """ninja_cursor_pagination: rows tied on the ordering column are skipped with the cursor's offset,
    which decode_cursor clamps to _offset_cutoff = 100. Received times never tie, so -last_seen pages
    130 issues seen in the same second; 130 issues seen once, sorted by count, never get past row 107."""
    org = Org(slug="acme", created=NOW - 30 * 86400)
    org.add_project("web", project_id="7")
    for _ in range(130):
        org.record_events(org.create_issue("web").id, 1, at=NOW - HOUR)
    with SimulatorServer(org, clock=FakeClock(NOW), token=TOKEN, flavor="glitchtip") as server:
        gt = GlitchTip(server)
        by_time = _all_issues(gt, {"sort": "-last_seen", "limit": 7})
        assert len(by_time) == len({i["id"] for i in by_time}) == 130
        with pytest.raises(AssertionError, match="more than 100 pages"):
            _all_issues(gt, {"sort": "-count", "limit": 7})


def test_injected_errors_take_glitchtips_bodies(gt):
    """A fault answers as the flavour's server would: ninja's JSON for 401/403/404, and for a 5xx
    Django's bare "Server Error (500)" page (GlitchTip has no templates/500.html)."""
    gt.server.faults.set(status=503, count=1)
    error = gt.get(ISSUES)
    assert error.status_code == 503 and error.headers["Content-Type"].startswith("text/html")
    assert "<h1>Server Error (500)</h1>" in error.text
    gt.server.faults.set(status=403, count=1)
    assert gt.get(ISSUES).json() == {"detail": "Permission denied"}
    assert gt.get(ISSUES).status_code == 200
