"""Core Django settings: apps, middleware, URLs, static files, time zone."""

from pathlib import Path

from config.env import BASE_DIR, CONFIG

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
EMBEDDED = CONFIG.embedded

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "corsheaders",
    "channels",
    "apps.core",
    "apps.repositories",
    "apps.pushes",
    "apps.jobs",
    "apps.failures",
    "apps.classification",
    "apps.accounts",
    "apps.live",
    "apps.dead_letters",
    "workers",
    "devtools",
]

MIDDLEWARE = [
    # First: one log line per request, with its duration and id (apps/core/logs.py).
    "apps.core.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy from SECURE_CSP (config/settings/security.py) on every response that
    # has none of its own (GraphiQL's page and the job view set theirs).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # csp_nonce for {% csp_nonce_attr %} (the admin's few inline <style>/<script>).
                "django.template.context_processors.csp",
            ]
        },
    }
]

# Every datetime is timezone-aware UTC (Treeherder stored naive UTC; see docs/deviations.md).
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.var_dir / "static"
STATICFILES_DIRS: list[Path | tuple[str, Path]] = (
    [BASE_DIR / "frontend" / "dist"] if (BASE_DIR / "frontend" / "dist").is_dir() else []
)
# GraphiQL, built by Vite from frontend/graphiql (bin/run and bin/test build it), at /static/graphiql/.
if (BASE_DIR / "frontend" / "graphiql" / "dist").is_dir():
    STATICFILES_DIRS.append(("graphiql", BASE_DIR / "frontend" / "graphiql" / "dist"))

# The job view (frontend/app, built by Vite): hashed assets at /static/app/assets/; its page at /.
if (BASE_DIR / "frontend" / "app" / "dist").is_dir():
    STATICFILES_DIRS.append(("app", BASE_DIR / "frontend" / "app" / "dist"))
# collectstatic writes a gzip copy of each file next to it, which WhiteNoise serves when accepted.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}


def _vite_hashed(path: str, url: str) -> bool:
    """Vite names every built asset <name>-<hash>.<ext> under assets/: safe to cache forever."""
    return "/assets/" in url and url.startswith(("/static/app/", "/static/graphiql/"))


WHITENOISE_IMMUTABLE_FILE_TEST = _vite_hashed

VAR_DIR = CONFIG.var_dir
PORT = CONFIG.port

# Outbound HTTP (Taskcluster, hg, GitHub, Bugzilla): only these roots, with a timeout and size cap.
TASKCLUSTER_ROOT_URL = CONFIG.taskcluster_root_url
BUGZILLA_URL = CONFIG.bugzilla_url
HG_URL = CONFIG.hg_url
GITHUB_API_URL = CONFIG.github_api_url
GITHUB_TOKEN = CONFIG.github_token
OUTBOUND_ALLOWED_HOSTS = CONFIG.outbound_allowed_hosts
OUTBOUND_TIMEOUT = CONFIG.outbound_timeout
OUTBOUND_MAX_BYTES = CONFIG.outbound_max_bytes
OUTBOUND_ALLOWED_NETWORKS = CONFIG.outbound_allowed_networks

REDIS_URL = CONFIG.redis_url

PULSE_URL = CONFIG.pulse_url
PULSE_QUEUE_USER = CONFIG.pulse_queue_user

# Live events: the outbox keeps every event for at least this long, and at least this many.
LIVE_RETENTION_HOURS = 24
LIVE_RETENTION_MIN_EVENTS = 100_000
# GraphQL WebSocket keepalive and flow control (server/ws/connection.py explains them).
LIVE_INIT_TIMEOUT_SECONDS = 10.0
LIVE_KEEPALIVE_SECONDS = 12.0
LIVE_PONG_TIMEOUT_SECONDS = 30.0
LIVE_MAX_UNACKED_BYTES = 1024 * 1024
# Who may open a GraphQL WebSocket: a dotted path to `authenticate(connection_params, scope)`.
# Anonymous connections read; an API token in the payload makes it act as the token's user.
LIVE_CONNECTION_AUTHENTICATOR = "server.ws.tokens.authenticate"
