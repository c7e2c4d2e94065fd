"""The simulator's GlitchTip flavour: ``SimulatorServer(org, flavor="glitchtip")``.

GlitchTip (true-og/glitchtip-backend at c264800, 2025-12-24) implements a subset of Sentry's web API
with django-ninja. Every difference from the Sentry flavour lives in this package, each cited by
the GlitchTip source path it reproduces:

- flavor.py: the routes (glitchtip/api/api.py), bearer auth and 401 (glitchtip/api/authentication.py),
  token scopes and 403 (glitchtip/api/permissions.py, apps/api_tokens/models.py);
- pages.py: paths with no API route (glitchtip/urls.py, templates/404.html);
- ninja.py: 422 validation errors and error bodies (django-ninja's ninja/errors.py, operation.py);
- paging.py: the Link-header cursor pagination (glitchtip/api/pagination.py);
- api_*.py: each endpoint and its schema.
"""

from .flavor import GlitchTipFlavor

__all__ = ["GlitchTipFlavor"]
