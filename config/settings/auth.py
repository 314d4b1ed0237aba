"""Accounts, sign-in (local or OpenID Connect), API tokens and write limits (docs/sheriffing.md)."""

from config.env import AUTH

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Sessions as Treeherder keeps them: in the cache (Redis), backed by the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_SAMESITE = "Lax"
# The UI reads the CSRF cookie and sends it back as X-CSRFToken (as Treeherder's UI does).
CSRF_COOKIE_HTTPONLY = False

OIDC_ENABLED = AUTH.oidc_enabled
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.insert(0, "apps.accounts.oidc.SheriffOIDCBackend")
OIDC_RP_CLIENT_ID = AUTH.oidc_client_id
OIDC_RP_CLIENT_SECRET = AUTH.oidc_client_secret
OIDC_OP_AUTHORIZATION_ENDPOINT = AUTH.oidc_authorization_endpoint
OIDC_OP_TOKEN_ENDPOINT = AUTH.oidc_token_endpoint
OIDC_OP_USER_ENDPOINT = AUTH.oidc_user_endpoint
OIDC_OP_JWKS_ENDPOINT = AUTH.oidc_jwks_endpoint or None
OIDC_RP_SIGN_ALGO = AUTH.oidc_sign_algo
OIDC_RP_SCOPES = AUTH.oidc_scopes
OIDC_GROUPS_CLAIM = AUTH.oidc_groups_claim
OIDC_SHERIFF_GROUPS = AUTH.oidc_sheriff_groups
OIDC_USERNAME_PREFIX = AUTH.oidc_username_prefix
OIDC_USERNAME_ALGO = "apps.accounts.oidc.username_from_claims"
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"

API_TOKEN_MAX_DAYS = AUTH.api_token_max_days
# django-ratelimit counts in the default cache (Redis outside embedded mode).
MUTATION_RATE_LIMIT = AUTH.mutation_rate_limit
RATELIMIT_USE_CACHE = "default"
LOGIN_RATE_LIMIT = "10/m"
CLASSIFY_BATCH_MAX = AUTH.classify_batch_max
# Request bodies larger than this are refused (400) before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = AUTH.request_body_max_bytes

# WebSockets: a token's connection is re-checked this often, and closed (4401) once the token is
# revoked or expired.
LIVE_REAUTH_SECONDS = AUTH.live_reauth_seconds
LIVE_CONNECTION_REVALIDATOR = "server.ws.tokens.revalidate"
# Open GraphQL WebSockets from one client address, per web process (server/ws/admission.py).
LIVE_MAX_CONNECTIONS_PER_ADDRESS = AUTH.live_max_connections_per_address
