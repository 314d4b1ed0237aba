"""The job view's page: frontend/app/dist/index.html (built by Vite at install time) at `/` and at
every client-side route, with the settings the page needs written into it as JSON. Its scripts and
styles are hashed files under /static/app/, served by WhiteNoise (compressed, cached immutably);
the page itself is never cached, so a new build is picked up on the next load."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.csp import CSP, build_policy
from django.utils.html import json_script
from django.views.decorators.http import require_safe

APP_INDEX = Path(settings.BASE_DIR) / "frontend" / "app" / "dist" / "index.html"
CONFIG_PLACEHOLDER = "<!--th-config-->"


@cache
def _built_index() -> str | None:
    return APP_INDEX.read_text(encoding="utf-8") if APP_INDEX.is_file() else None


def page_config() -> dict[str, str]:
    """What the browser needs from the server's configuration (nothing secret)."""
    return {"bugzillaUrl": settings.BUGZILLA_URL}


def index_html() -> str | None:
    html = _built_index()
    if html is None:
        return None
    # json_script escapes <, > and & as JSON \u escapes: inert inside the element, and the page
    # reads it back with JSON.parse(textContent).
    return html.replace(CONFIG_PLACEHOLDER, str(json_script(page_config(), "th-config")))


def content_security_policy(request: HttpRequest) -> str:
    """The site's policy (SECURE_CSP), with the page's WebSocket named in connect-src.

    CSP Level 3 lets 'self' match ws: and wss: of the page's own host, and Chromium does (the
    browser tests run under 'self' plus these); browsers before it (Safari before 15.4, for one)
    do not, so the WebSocket's URLs are named too: this host (validated against ALLOWED_HOSTS by
    get_host, so it holds no ';' or space), both schemes, since behind a TLS proxy the page asks
    for wss: while Django may see plain HTTP. Nothing else is allowed to connect anywhere.
    """
    host = request.get_host()
    # django-stubs' plugin types this setting as an object; it is config/settings/security.py's dict.
    site = cast("Mapping[str, Collection[str] | str]", settings.SECURE_CSP)
    config: dict[str, Collection[str] | str] = {
        **site,
        "connect-src": [CSP.SELF, f"ws://{host}", f"wss://{host}"],
    }
    return build_policy(config)


@require_safe
def job_view(request: HttpRequest) -> HttpResponse:
    html = index_html()
    if html is None:
        return HttpResponse(
            "The job view is not built: run bin/run or bin/test (they build frontend/app).",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response[CSP.HEADER_ENFORCE] = content_security_policy(request)
    return response
