"""Error events from Discover (organizations/{org}/events/) as plans and versions serve it (CONTRACT.md §0.10, §0.11).

- Without discover-basic and performance-view, Discover is a bare 404 (`api/endpoints/organization_events.py`:
  `return Response(status=404)`): Unsupported, for the caller to say once.
- Without global-views, older Sentry refuses a query over several projects: asked one project at a time
  (directory.ProjectScopes).
- A Sentry older than `dataset=errors` refuses it with a 400: asked once more without it, the query
  leaving transactions out instead, and remembered.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..directory import ProjectDirectory, ProjectScopes
from ..sentry.client import SentryClient
from ..sentry.errors import ContractError, NotFound
from ..sentry.flavor import ServerKind
from . import Unsupported

ERRORS_ONLY = "!event.type:transaction"  # dataset=errors, said in the query of the default dataset

Row = dict[str, Any]


class Discover:
    def __init__(self, client: SentryClient, org: str, directory: ProjectDirectory, filtered: bool,
                 kind: ServerKind):
        self._client, self._org = client, org
        self.scopes = ProjectScopes(directory, filtered, "Discover", kind)
        self._errors_dataset = True  # cleared once Sentry refuses dataset=errors (older self-hosted)

    def pages(self, params: list[tuple[str, str]], query: str, max_pages: int = 1000) -> Iterator[list[Row]]:
        """Pages of rows for `params` (fields, range, sort, paging and projects) and `query`, over error
        events only. The rows that are not objects are counted as malformed and left out."""
        refused: ContractError | None = None
        while True:
            dataset = [("dataset", "errors")] if self._errors_dataset else []
            errors_query = query if self._errors_dataset else f"{ERRORS_ONLY} {query}".strip()
            try:
                for page, _ in self._client.pages("events", f"organizations/{self._org}/events/",
                                                  dataset + [("query", errors_query)] + params, max_pages, "data"):
                    rows = [row for row in page if isinstance(row, dict)]
                    if len(rows) < len(page):
                        self._client.stats.count_malformed("events")
                    yield rows
                return
            except NotFound as e:
                if e.bare:
                    raise Unsupported("discover_unavailable", "Discover (organizations/{org}/events/) answered a "
                                      "404 without JSON: the plan has neither discover-basic nor performance-view, "
                                      "or the server has no Discover at all (GlitchTip)") from None
                raise
            except ContractError as e:
                if refused is not None and e.detail == refused.detail:
                    self._errors_dataset = True  # refused without it too: the dataset was not the reason
                if e.global_views_required or not self._errors_dataset or refused is not None:
                    raise
                refused, self._errors_dataset = e, False  # older self-hosted: asked once more without dataset=errors
