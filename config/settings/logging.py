"""Logging: one line per record on stderr, level from LOG_LEVEL; JSON lines with LOG_FORMAT=json.

Every record passes the handler's filters: a traceback of an unreachable database becomes part of
one line per outage (apps.core.outage.CollapseOutageTracebacks), secrets are masked
(apps.core.logs.RedactSecrets) and the current request's or task's id is attached (`request_id`).
With SENTRY_DSN set, errors also go to Sentry (sentry-sdk, its Django and Celery integrations; no
personal data sent).
"""

from config.env import CONFIG, OPS

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "collapse_outages": {"()": "apps.core.outage.CollapseOutageTracebacks"},
        "redact": {"()": "apps.core.logs.RedactSecrets"},
        "current_id": {"()": "apps.core.logs.CurrentId"},
    },
    "formatters": {
        "standard": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(process)d %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "process": "pid", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if OPS.log_format == "json" else "standard",
            "filters": ["collapse_outages", "current_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
        "amqp": {"level": "WARNING"},
        "kombu": {"level": "WARNING"},
    },
}

SENTRY_DSN = OPS.sentry_dsn
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)
