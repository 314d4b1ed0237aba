"""HTTP security headers, cookies and CORS. CORS is off unless CORS_ALLOWED_ORIGINS lists origins."""

from config.env import CONFIG

CORS_ALLOWED_ORIGINS = CONFIG.cors_allowed_origins
CORS_URLS_REGEX = r"^/graphql/?$"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# X-Forwarded-For/-Proto count only from these peers (config/proxy_headers.py, in config/asgi.py).
TRUSTED_PROXIES = CONFIG.trusted_proxies

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
