"""Which of Sentry's rate-limit buckets a request path is counted in.

Sentry's middleware (`src/sentry/middleware/ratelimit.py`) keys its fixed-window counter with
`get_rate_limit_key` (`src/sentry/ratelimits/utils.py`):
  - `{category}:{group}:{view}:{method}:{id}` when the endpoint declares its own `rate_limits`
    (`RateLimitConfig.has_custom_limit()`, `src/sentry/ratelimits/config.py`), so it has a bucket of its own;
  - `{category}:{group}:{method}:{id}` otherwise: every such endpoint of the group ("default")
    draws on one shared bucket.
`{id}` is the user for user tokens, the org for internal integrations, the IP for org tokens.

Endpoints the exporter calls, as read in getsentry/sentry:
  - organizations/{org}/issues/: `enforce_rate_limit = True`, no `rate_limits` -> "default"
    (`src/sentry/issues/endpoints/organization_group_index.py`, OrganizationGroupIndexEndpoint)
  - organizations/{org}/projects/: no `rate_limits` -> "default"
    (`src/sentry/core/endpoints/organization_projects.py`)
  - organizations/{org}/sessions/: no `rate_limits` -> "default"
    (`src/sentry/api/endpoints/organization_sessions.py`)
  - organizations/{org}/releases/: GET `RateLimit(limit=40, window=1)` for IP, user and org -> own bucket
    (`src/sentry/releases/endpoints/organization_releases.py`; older versions at
    `src/sentry/api/endpoints/organization_releases.py` had no override and used "default")
  - organizations/{org}/stats_v2/: GET 20/s for IP, user and org -> own bucket
    (`src/sentry/api/endpoints/organization_stats_v2.py`)
  - organizations/{org}/events/: GET 30/s, concurrency 15 (an org-dependent callable in some versions)
    -> own bucket (`src/sentry/api/endpoints/organization_events.py`)
Any other path has no limit of its own in the versions read, so it is counted in "default", as
`DEFAULT_RATE_LIMIT_CONFIG` makes Sentry count it.
"""

from __future__ import annotations

import re

DEFAULT = "default"
# The last path segment of an organizations/{org}/<name>/ endpoint that has a bucket of its own.
_OWN_BUCKET = frozenset({"releases", "stats_v2", "events"})
_ORG_ENDPOINT = re.compile(r"^/*organizations/[^/]+/(?P<name>[^/]+)/?$")


def bucket_of(path: str) -> str:
    """The name of the rate-limit bucket Sentry counts a GET of `path` (under /api/0/) in."""
    m = _ORG_ENDPOINT.match(path)
    return m["name"] if m and m["name"] in _OWN_BUCKET else DEFAULT
