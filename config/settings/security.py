"""HTTP security headers, cookies and CORS. CORS is off unless CORS_ALLOWED_ORIGINS lists origins."""

from django.utils.csp import CSP

from config.env import CONFIG

CORS_ALLOWED_ORIGINS = CONFIG.cors_allowed_origins
CORS_URLS_REGEX = r"^/graphql/?$"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# X-Forwarded-For/-Proto count only from these peers (config/proxy_headers.py, in config/asgi.py).
TRUSTED_PROXIES = CONFIG.trusted_proxies

# Content-Security-Policy (Django's own, django.middleware.csp) for every page Django serves: the
# sign-in form, the admin, and (with its WebSocket added, apps/core/frontend.py) the job view. All
# of them load only this origin's files, run no inline or eval'd script and set no inline style:
# React sets `style` props through the CSSOM (element.style), which style-src does not govern, and
# Vite links the stylesheet; the admin's are static files, each tagged with the response's nonce.
# GraphiQL's page has its own, looser on styles (schema/views.py: Monaco inserts <style> elements).
# The browser tests (tests/browser/driver.mjs) fail on any violation the page reports.
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    # CSP.NONCE: a fresh nonce per response, only for elements a template marks with
    # {% csp_nonce_attr %} (the admin's change list has one <style>); absent when none is rendered.
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # data: images: the job view's empty favicon (`<link rel=icon href="data:,">`, so that the
    # browser asks for no /favicon.ico); an image runs no script.
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

if CONFIG.secure_https:
    # Production: TLS terminates in front of Daphne (the proxy sets X-Forwarded-Proto, which
    # config/proxy_headers.py removes from requests that did not come through a trusted proxy).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
