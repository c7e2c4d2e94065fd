"""One module per poller; each has a `name`, a `poll()` that returns its result, and may raise Unsupported."""

from ..sentry.errors import SentryError


class Unsupported(Exception):
    """This Sentry cannot serve the poller: its plan, its version or the token lacks what the poller needs
    (a missing feature, not an outage). The app records the state, says `message` once, and the other
    pollers go on. That holds only until the poller's first success: once it has worked, a refusal is a
    failure like any other (snapshot.SnapshotStore.record_unsupported). `reason` is a short snake_case
    label value, e.g. "discover_unavailable"."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def unsupported_endpoint(error: SentryError) -> Exception:
    """What a refusal of an endpoint that a poller can do without means: Unsupported for a 403 (the token
    lacks its scope), a 404 (no such endpoint in this Sentry, or not in its plan) or a 400 (a dataset it
    does not know); any other error as it is. A 401 stays an AuthError: a token Sentry does not know at
    all fails every poller alike."""
    reason = {403: "forbidden", 404: "not_found", 400: "rejected"}.get(error.status)
    if reason is None:
        return error
    return Unsupported(reason, str(error))
