"""Switches for real Sentry behaviours that a default sentry.io org does not show (CONTRACT.md §0).

A server's ``behaviour`` may be changed while it runs: ``server.behaviour.listing_cut = 150``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Behaviour:
    # Plan features (§0.10). Without discover-basic/performance-view, /events/ is a bare 404
    # (api/endpoints/organization_events.py: ``return Response(status=404)``).
    discover: bool = True
    # Without global-views, older code answers 400 to multi-project events and org issues queries.
    global_views: bool = True
    # Older self-hosted (§0.11): dataset=errors on /events/ (about 2023+), substatus (2023+), priority (2024+).
    errors_dataset: bool = True
    substatus: bool = True
    priority: bool = True
    # An older get_constrained_date_range added 1 s to an explicit stats_v2 end and rounded up (§0.9).
    stats_inclusive_end: bool = False
    # search/snuba/executors.py chunked search under a 30 s budget (§0.6): when set, an issue listing
    # ends after this many issues with results="false", although more match.
    listing_cut: int | None = None
    # A token or server that cannot answer the newer monitors API or the uptime_results dataset (§0.14):
    # the status it answers instead, e.g. 403 (a token without alerts:read/org:read) or 404 (a Sentry
    # without the endpoint, or a plan without uptime). None answers normally.
    detectors_status: int | None = None
    uptime_results_status: int | None = None
    # Projects the token cannot see: left out of issue listings, and a ``group=`` lookup naming one of
    # their issues is 403 (organization_group_index.py: ``if any(... not request.access.has_project_access
    # (g.project)): raise PermissionDenied``).
    hidden_projects: frozenset = frozenset()
    # Not Sentry: a compatible server that reads ``project=-1`` as no project at all, and answers nothing.
    minus_one_is_no_project: bool = False

    @classmethod
    def old_self_hosted(cls) -> "Behaviour":
        """A self-hosted Sentry from before 2023 (pair it with no rate limit: no headers, §0.5)."""
        return cls(errors_dataset=False, substatus=False, priority=False, stats_inclusive_end=True,
                   detectors_status=404)  # workflow_engine's detectors API is from 2025
