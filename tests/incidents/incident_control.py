"""The simulator's ``/_control/incident/…`` route for incident scenarios: a test changes the fake org
over HTTP, as an operator's Sentry would change, while the real exporter polls it.

Actions (GET, query parameters):
- ``project?slug=``: a project, created now (a project the exporter sees only from a later poll);
- ``issue?project=&level=``: a new unresolved issue; answers its ``id`` and ``short_id``;
- ``events?issue=&n=&tags=k:v,k:v&environment=``: ``n`` events of that issue now, with those tags;
- ``assign?issue=&team=``: assigns the issue to a team (no ``team``: unassigns it).
"""

from __future__ import annotations

import time

from sentry_simulator.model import Assignee, Org

PREFIX = "/_control/incident/"


def control(org: Org):
    """A ``control`` callable for SimulatorServer, changing ``org``."""
    def answer(path: str, params: dict) -> tuple[int, object]:
        def first(name: str, default: str = "") -> str:
            return (params.get(name) or [default])[0]
        action = path.removeprefix(PREFIX) if path.startswith(PREFIX) else None
        try:
            if action == "project":
                project = org.add_project(first("slug"), created=time.time())
                return 200, {"id": project.id, "slug": project.slug}
            if action == "issue":
                issue = org.create_issue(first("project"), level=first("level", "error"), created=time.time())
                return 200, {"id": issue.id, "short_id": issue.short_id}
            if action == "events":
                tags = dict(pair.split(":", 1) for pair in first("tags").split(",") if pair)
                org.record_events(int(first("issue")), int(first("n", "1")), at=time.time(),
                                  environment=first("environment") or None, tags=tags)
                return 200, {"ok": True}
            if action == "assign":
                team = first("team")
                org.assign(int(first("issue")), Assignee("team", "2", team) if team else None)
                return 200, {"ok": True}
        except (KeyError, ValueError) as e:
            return 400, {"detail": str(e)}
        return 404, {"detail": "no such control route"}
    return answer
