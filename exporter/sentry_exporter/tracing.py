"""sentry/client.py still imports `tracing` from here; the module lives in telemetry/tracing.py."""

from .telemetry.tracing import span  # noqa: F401
