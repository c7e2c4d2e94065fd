"""What GlitchTip answers outside its API routes (glitchtip/urls.py, DEBUG off).

Django tries the URL patterns in order: the ninja API (``path("api/", api.urls)``), then the Angular
app's catch-all ``re_path(r"^(auth|login|…|(.*)/releases|organizations|…).*$", index)``, which serves
the single-page app's index.html with a 200, and otherwise Django's 404 handler, which renders
``templates/404.html`` (GlitchTip's own page, not Django's default). So a release's ``deploys/``
(no GET route: apps/releases/api.py lists "POST …/deploys/ (Not implemented)") is the app's page with
a 200, while ``organizations/{org}/events/`` and ``sessions/`` are the HTML 404.
"""

from __future__ import annotations

import re

from ..reply import Reply

HTML = "text/html; charset=utf-8"
# glitchtip/urls.py, the Angular routes; Django matches without the leading slash.
SPA_ROUTES = re.compile(r"^(auth|login|register|(.*)/issues|(.*)/settings|(.*)/performance|(.*)/projects|"
                        r"(.*)/releases|organizations|profile|(.*)/uptime-monitors|accept|reset-password|"
                        r"system-info).*$")
# templates/404.html, abbreviated: its inline font, styles and SVG logo (73 kB in all) are left out;
# the title, heading, text and error code are GlitchTip's.
NOT_FOUND_PAGE = """<!DOCTYPE html>
<html>
  <head>
    <title>GlitchTip</title>
  </head>

  <body class="body">
    <div>
      <div class="error-page__container">
        <h2 class="heading-main">Page not found</h2>
        <hr class="divider" />
        <div class="error-page__text">
          This might have happened because we removed or changed the location of
          a page. It also could have happened because you mistyped the URL or
          were given a bad link.
        </div>

        <a href="/" class="error-page__link">Home</a>

        <div class="error-page__error-code">Error code: 404 Not Found</div>
      </div>
    </div>
  </body>
</html>
"""
# The built frontend's dist/index.html is not in the backend repository; this stands in for it
# (an Angular shell: UNVERIFIED beyond "an HTML page with a 200").
APP_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GlitchTip</title>
  <base href="/">
</head>
<body>
  <app-root></app-root>
</body>
</html>
"""
# django/views/defaults.py server_error without a 500.html: ERROR_PAGE_TEMPLATE, "Server Error (500)".
SERVER_ERROR_PAGE = ("\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n"
                     "<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n")


def unmatched(path: str, content_type: str = "") -> Reply:
    """A path no API route matches: the Angular app's page where its catch-all matches, else the 404 page."""
    if SPA_ROUTES.match(path.lstrip("/")):
        return Reply(200, APP_PAGE.encode(), HTML)
    return Reply(404, NOT_FOUND_PAGE.encode(), HTML)
