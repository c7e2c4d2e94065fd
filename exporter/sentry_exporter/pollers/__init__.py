"""One module per poller; each has a `name`, a `poll()` that returns its result, and may raise Unsupported."""


class Unsupported(Exception):
    """This Sentry cannot serve the poller: its plan, its version or the token lacks what the poller needs
    (a missing feature, not an outage). The app records the state, says `message` once, and the other
    pollers go on. `reason` is a short snake_case label value, e.g. "discover_unavailable"."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
