"""The one place that reads the process environment.

Every setting the system takes comes from an environment variable read here, with its default
documented in docs/configuration.md (tests/config/test_settings_doc.py holds this module,
`.env.example` and that page to the same names and defaults). Settings modules import `CONFIG`; nothing else in the
project calls `os.environ` or `environ.Env`.

Two modes:

* **Services** (the default): MariaDB/MySQL, Redis and RabbitMQ are named by DATABASE_URL, REDIS_URL
  and CELERY_BROKER_URL. A missing one stops start-up with a clear message; there is no silent
  fallback, because a process that quietly runs against SQLite or in-process tasks in production
  loses data (the Saleor anti-pattern in CONVENTIONS.md).
* **Embedded** (`EMBEDDED=true`, what `bin/run` uses on a bare machine): a SQLite file, the
  in-memory channel layer and in-process tasks. Start-up logs that it is not for production.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.proxy_headers import parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent

_env = environ.Env()

DEFAULT_TASKCLUSTER_ROOT_URL = "https://firefox-ci-tc.services.mozilla.com"
DEFAULT_BUGZILLA_URL = "https://bugzilla.mozilla.org"
DEFAULT_HG_URL = "https://hg.mozilla.org"
DEFAULT_GITHUB_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class EnvConfig:
    """Typed view of the environment. Built once by `load()`."""

    embedded: bool
    debug: bool
    secret_key: str
    allowed_hosts: list[str]
    log_level: str
    database_url: str
    redis_url: str
    celery_broker_url: str
    pulse_url: str
    pulse_queue_user: str
    taskcluster_root_url: str
    bugzilla_url: str
    hg_url: str
    github_api_url: str
    github_token: str
    outbound_allowed_hosts: list[str]
    outbound_timeout: float
    outbound_max_bytes: int
    outbound_allowed_networks: list[str]
    cors_allowed_origins: list[str]
    port: int
    secure_https: bool
    trusted_proxies: list[str]
    var_dir: Path


def _str(name: str, default: str = "") -> str:
    return str(_env.str(name, default=default)).strip()


def load() -> EnvConfig:
    """Read and validate the environment. Raises ImproperlyConfigured with a readable message."""
    embedded = _env.bool("EMBEDDED", default=False)
    debug = _env.bool("DEBUG", default=False)
    var_dir = Path(_str("VAR_DIR", str(BASE_DIR / "var")))

    database_url = _str("DATABASE_URL")
    redis_url = _str("REDIS_URL")
    broker_url = _str("CELERY_BROKER_URL")
    if embedded:
        database_url = database_url or f"sqlite:///{var_dir / 'treeherder.sqlite3'}"
    else:
        missing = [
            name
            for name, value in (
                ("DATABASE_URL", database_url),
                ("REDIS_URL", redis_url),
                ("CELERY_BROKER_URL", broker_url),
            )
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(
                f"{', '.join(missing)} not set. Name the services "
                "(e.g. DATABASE_URL=mysql://root@127.0.0.1:3306/treeherder, "
                "REDIS_URL=redis://127.0.0.1:6379/0, "
                "CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672//), "
                "or set EMBEDDED=true for the single-process quick start "
                "(SQLite, in-memory channel layer, in-process tasks; not for production)."
            )

    secret_key = _str("SECRET_KEY")
    if not secret_key:
        if not debug:
            raise ImproperlyConfigured(
                "SECRET_KEY is not set and DEBUG is off. Set SECRET_KEY to a long random string "
                "(production), or DEBUG=true for local development."
            )
        secret_key = "insecure-development-key-only-used-when-DEBUG-is-true"  # noqa: S105 - DEBUG only

    taskcluster_root_url = _str("TASKCLUSTER_ROOT_URL", DEFAULT_TASKCLUSTER_ROOT_URL).rstrip("/")
    bugzilla_url = _str("BUGZILLA_URL", DEFAULT_BUGZILLA_URL).rstrip("/")
    hg_url = _str("HG_URL", DEFAULT_HG_URL).rstrip("/")
    github_api_url = _str("GITHUB_API_URL", DEFAULT_GITHUB_API_URL).rstrip("/")
    trusted_proxies = _env.list("TRUSTED_PROXIES", default=[])
    try:
        parse_networks(trusted_proxies)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None

    return EnvConfig(
        embedded=embedded,
        debug=debug,
        secret_key=secret_key,
        allowed_hosts=_env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"]),
        log_level=_str("LOG_LEVEL", "INFO").upper(),
        database_url=database_url,
        redis_url=redis_url,
        celery_broker_url=broker_url,
        pulse_url=_str("PULSE_URL"),
        pulse_queue_user=_str("PULSE_QUEUE_USER"),
        taskcluster_root_url=taskcluster_root_url,
        bugzilla_url=bugzilla_url,
        hg_url=hg_url,
        github_api_url=github_api_url,
        github_token=_str("GITHUB_TOKEN"),
        # Outbound HTTP goes only to these hosts (host or host:port). Empty means "the hosts of the
        # configured service URLs", which is what production wants.
        outbound_allowed_hosts=_env.list("OUTBOUND_ALLOWED_HOSTS", default=[]),
        outbound_timeout=_env.float("OUTBOUND_TIMEOUT", default=30.0),
        outbound_max_bytes=_env.int("OUTBOUND_MAX_BYTES", default=20 * 1024 * 1024),
        # Outbound HTTP connects to public addresses only, even for an allowed host name; these
        # networks (CIDR) are allowed too. Empty in production; bin/run, bin/test and bin/bench
        # set 127.0.0.0/8 for the local sample services.
        outbound_allowed_networks=_env.list("OUTBOUND_ALLOWED_NETWORKS", default=[]),
        cors_allowed_origins=_env.list("CORS_ALLOWED_ORIGINS", default=[]),
        port=_env.int("PORT", default=8000),
        # Served over HTTPS behind a proxy: redirect http, HSTS, secure cookies.
        secure_https=_env.bool("SECURE_HTTPS", default=False),
        # Peers whose X-Forwarded-For/-Proto are believed (config/proxy_headers.py); empty: none.
        trusted_proxies=trusted_proxies,
        var_dir=var_dir,
    )


CONFIG = load()


@dataclass(frozen=True)
class IngestConfig:
    """Pulse ingestion knobs (docs/configuration.md, ingestion rows)."""

    projects_to_ingest: list[str]
    batch_size: int
    batch_wait: float
    max_retries: int
    retry_base_seconds: float
    fetch_threads: int
    definition_lru_size: int
    definition_cache_ttl: int
    repository_cache_seconds: float
    pulse_prefetch: int
    task_soft_time_limit: float
    task_time_limit: float
    refdata_lru_size: int
    push_id_lru_size: int


def load_ingest() -> IngestConfig:
    config = _load_ingest()
    if not 0 < config.task_soft_time_limit < config.task_time_limit:
        raise ImproperlyConfigured(
            f"INGEST_TASK_SOFT_TIME_LIMIT ({config.task_soft_time_limit:g}) must be positive and below "
            f"INGEST_TASK_TIME_LIMIT ({config.task_time_limit:g}): the soft limit lets a batch re-enqueue itself "
            "before the hard one kills it."
        )
    return config


def _load_ingest() -> IngestConfig:
    return IngestConfig(
        # Treeherder's PROJECTS_TO_INGEST: when set, tasks of other projects are dropped.
        projects_to_ingest=_env.list("PROJECTS_TO_INGEST", default=[]),
        batch_size=_env.int("INGEST_BATCH_SIZE", default=100),
        batch_wait=_env.float("INGEST_BATCH_WAIT", default=0.2),
        # With the default base, 13 retries wait about 2.8 h in all (each wait at most 25 min).
        max_retries=_env.int("INGEST_MAX_RETRIES", default=13),
        retry_base_seconds=_env.float("INGEST_RETRY_BASE_SECONDS", default=10.0),
        fetch_threads=_env.int("INGEST_FETCH_THREADS", default=16),
        definition_lru_size=_env.int("INGEST_DEFINITION_LRU_SIZE", default=20000),
        definition_cache_ttl=_env.int("INGEST_DEFINITION_CACHE_TTL", default=3600),
        repository_cache_seconds=_env.float("INGEST_REPOSITORY_CACHE_SECONDS", default=30.0),
        pulse_prefetch=_env.int("PULSE_PREFETCH", default=1000),
        # Per ingestion task (a batch): the soft limit re-enqueues the batch, the hard one kills the
        # pool process (the broker then redelivers it). The hard limit plus the longest retry wait
        # (25 min) must stay under RabbitMQ's consumer_timeout (30 min).
        task_soft_time_limit=_env.float("INGEST_TASK_SOFT_TIME_LIMIT", default=240.0),
        task_time_limit=_env.float("INGEST_TASK_TIME_LIMIT", default=300.0),
        refdata_lru_size=_env.int("INGEST_REFDATA_LRU_SIZE", default=100_000),
        push_id_lru_size=_env.int("INGEST_PUSH_ID_LRU_SIZE", default=50_000),
    )


INGEST = load_ingest()


@dataclass(frozen=True)
class OpsConfig:
    """Operations: scheduled jobs, retention, logs, error reporting, metrics (docs/operations.md)."""

    log_format: str
    sentry_dsn: str
    metrics_dir: str
    cycle_data_days: int
    cycle_data_try_days: int
    cycle_data_repository_days: dict[str, int]
    cycle_data_chunk_size: int
    cycle_data_sleep_seconds: float
    bugzilla_api_key: str
    scheduler_lock_timeout: int
    live_db_threads: int


def _repository_days(raw: str) -> dict[str, int]:
    """`try=30,autoland=200` -> {"try": 30, "autoland": 200}."""
    result: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, days = item.partition("=")
        if not sep or not days.strip().isdigit() or not name.strip():
            raise ImproperlyConfigured(
                f"CYCLE_DATA_REPOSITORY_DAYS: {item!r} is not `repository=days` (e.g. try=30,autoland=200)"
            )
        result[name.strip()] = int(days)
    return result


def load_ops(config: EnvConfig) -> OpsConfig:
    log_format = _str("LOG_FORMAT", "text").lower()
    if log_format not in {"text", "json"}:
        raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {log_format!r}")
    # prometheus-client's multiprocess mode: every process of this machine writes its figures into
    # files under this directory and any web process's /metrics sums them, so N processes are not
    # counted N times. The library reads PROMETHEUS_MULTIPROC_DIR from the environment when it is
    # first imported, so it is exported here (before anything imports it). Embedded mode too: its
    # replay is a process of its own.
    metrics_dir = _str("PROMETHEUS_MULTIPROC_DIR") or str(config.var_dir / "metrics")
    if metrics_dir:
        Path(metrics_dir).mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    return OpsConfig(
        log_format=log_format,
        sentry_dsn=_str("SENTRY_DSN"),
        metrics_dir=metrics_dir,
        cycle_data_days=_env.int("CYCLE_DATA_DAYS", default=120),
        cycle_data_try_days=_env.int("CYCLE_DATA_TRY_DAYS", default=30),
        cycle_data_repository_days=_repository_days(_str("CYCLE_DATA_REPOSITORY_DAYS")),
        cycle_data_chunk_size=_env.int("CYCLE_DATA_CHUNK_SIZE", default=100),
        cycle_data_sleep_seconds=_env.float("CYCLE_DATA_SLEEP_SECONDS", default=0.1),
        # Treeherder's BUG_COMMENTER_API_KEY: without it the intermittents commenter only prints.
        bugzilla_api_key=_str("BUGZILLA_API_KEY"),
        scheduler_lock_timeout=_env.int("SCHEDULER_LOCK_TIMEOUT", default=60),
        # The live read pool of each web process (apps/live/reads.py): one MariaDB connection each.
        live_db_threads=max(1, _env.int("LIVE_DB_THREADS", default=4)),
    )


OPS = load_ops(CONFIG)


@dataclass(frozen=True)
class AuthConfig:
    """Sign-in, API tokens and write limits (docs/sheriffing.md). OIDC is on when its endpoints
    and client are all set; half a configuration stops start-up."""

    oidc_client_id: str
    oidc_client_secret: str
    oidc_authorization_endpoint: str
    oidc_token_endpoint: str
    oidc_user_endpoint: str
    oidc_jwks_endpoint: str
    oidc_sign_algo: str
    oidc_scopes: str
    oidc_groups_claim: str
    oidc_sheriff_groups: list[str]
    oidc_username_prefix: str
    api_token_max_days: int
    mutation_rate_limit: str
    classify_batch_max: int
    request_body_max_bytes: int
    live_reauth_seconds: float
    live_max_connections_per_address: int

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_client_id)


def load_auth() -> AuthConfig:
    given = {
        "OIDC_RP_CLIENT_ID": _str("OIDC_RP_CLIENT_ID"),
        "OIDC_RP_CLIENT_SECRET": _str("OIDC_RP_CLIENT_SECRET"),
        "OIDC_OP_AUTHORIZATION_ENDPOINT": _str("OIDC_OP_AUTHORIZATION_ENDPOINT"),
        "OIDC_OP_TOKEN_ENDPOINT": _str("OIDC_OP_TOKEN_ENDPOINT"),
        "OIDC_OP_USER_ENDPOINT": _str("OIDC_OP_USER_ENDPOINT"),
    }
    if any(given.values()) and not all(given.values()):
        missing = [name for name, value in given.items() if not value]
        raise ImproperlyConfigured(
            f"OIDC sign-in is half configured: {', '.join(missing)} not set. Set all of "
            f"{', '.join(given)} (and OIDC_OP_JWKS_ENDPOINT for RS256), or none for local accounts."
        )
    sign_algo = _str("OIDC_RP_SIGN_ALGO", "RS256")
    jwks = _str("OIDC_OP_JWKS_ENDPOINT")
    if given["OIDC_RP_CLIENT_ID"] and sign_algo.startswith(("RS", "ES")) and not jwks:
        raise ImproperlyConfigured(f"OIDC_RP_SIGN_ALGO={sign_algo} needs OIDC_OP_JWKS_ENDPOINT.")
    return AuthConfig(
        oidc_client_id=given["OIDC_RP_CLIENT_ID"],
        oidc_client_secret=given["OIDC_RP_CLIENT_SECRET"],
        oidc_authorization_endpoint=given["OIDC_OP_AUTHORIZATION_ENDPOINT"],
        oidc_token_endpoint=given["OIDC_OP_TOKEN_ENDPOINT"],
        oidc_user_endpoint=given["OIDC_OP_USER_ENDPOINT"],
        oidc_jwks_endpoint=jwks,
        oidc_sign_algo=sign_algo,
        oidc_scopes=_str("OIDC_RP_SCOPES", "openid email profile"),
        # Treeherder's (Mozilla SSO through Auth0) claim and sheriff groups.
        oidc_groups_claim=_str("OIDC_GROUPS_CLAIM", "https://sso.mozilla.com/claim/groups"),
        oidc_sheriff_groups=_env.list("OIDC_SHERIFF_GROUPS", default=["sheriff", "perf_sheriff"]),
        oidc_username_prefix=_str("OIDC_USERNAME_PREFIX", "mozilla-ldap/"),
        api_token_max_days=_env.int("API_TOKEN_MAX_DAYS", default=365),
        mutation_rate_limit=_str("MUTATION_RATE_LIMIT", "60/m"),
        classify_batch_max=_env.int("CLASSIFY_BATCH_MAX", default=200),
        request_body_max_bytes=_env.int("REQUEST_BODY_MAX_BYTES", default=1024 * 1024),
        live_reauth_seconds=_env.float("LIVE_REAUTH_SECONDS", default=2.0),
        live_max_connections_per_address=_env.int("LIVE_MAX_CONNECTIONS_PER_ADDRESS", default=200),
    )


AUTH = load_auth()


# channels-redis's receive() blocks in BZPOPMIN for this long (RedisChannelLayer.brpop_timeout; a
# test holds the two to the same figure): the channel layer's socket timeout must be longer, or
# every idle receive would time out.
CHANNELS_REDIS_RECEIVE_BLOCK_SECONDS = 5.0


@dataclass(frozen=True)
class ResilienceConfig:
    """Bounds on waiting for a dependency that misbehaves (docs/reliability.md)."""

    db_conflict_attempts: int
    db_conflict_backoff_ms: float
    redis_connect_timeout: float
    redis_socket_timeout: float


def load_resilience() -> ResilienceConfig:
    config = ResilienceConfig(
        # A write transaction aborted by a deadlock or a lock wait timeout runs again, up to this
        # many attempts in all (apps/core/transactions.py).
        db_conflict_attempts=_env.int("DB_CONFLICT_ATTEMPTS", default=3),
        db_conflict_backoff_ms=_env.float("DB_CONFLICT_BACKOFF_MS", default=50.0),
        redis_connect_timeout=_env.float("REDIS_CONNECT_TIMEOUT", default=2.0),
        redis_socket_timeout=_env.float("REDIS_SOCKET_TIMEOUT", default=10.0),
    )
    if config.db_conflict_attempts < 1:
        raise ImproperlyConfigured("DB_CONFLICT_ATTEMPTS must be at least 1 (1: no retry).")
    if config.redis_connect_timeout <= 0:
        raise ImproperlyConfigured("REDIS_CONNECT_TIMEOUT must be positive (seconds).")
    if config.redis_socket_timeout <= CHANNELS_REDIS_RECEIVE_BLOCK_SECONDS + 1:
        raise ImproperlyConfigured(
            f"REDIS_SOCKET_TIMEOUT ({config.redis_socket_timeout:g}) must exceed "
            f"{CHANNELS_REDIS_RECEIVE_BLOCK_SECONDS + 1:g} s: channels-redis's receive blocks in Redis for "
            f"{CHANNELS_REDIS_RECEIVE_BLOCK_SECONDS:g} s when no message comes, and must not time out then."
        )
    return config


RESILIENCE = load_resilience()
