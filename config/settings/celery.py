"""Celery: RabbitMQ broker, every queue declared, nothing implicit.

Each queue group has a `worker_<group>` line in the Procfile. In embedded mode tasks run in-process
(announced at start-up), never as a silent fallback for a missing broker URL.
"""

from kombu import Exchange, Queue

from config.env import CONFIG

CELERY_BROKER_URL = CONFIG.celery_broker_url or "memory://"
CELERY_TASK_ALWAYS_EAGER = CONFIG.embedded
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True

_default = Exchange("default", type="direct")
CELERY_TASK_QUEUES = [
    Queue("default", _default, routing_key="default"),
    Queue("store_pulse_tasks", _default, routing_key="store_pulse_tasks"),
    Queue("store_pulse_pushes", _default, routing_key="store_pulse_pushes"),
    # Log parsing (apps/failures/services/scheduling.py picks the queue per log).
    Queue("log_parser", _default, routing_key="log_parser.normal"),
    *(
        Queue(name, _default, routing_key=f"log_parser.failures.{name}")
        for name in (
            "log_parser_fail_raw_sheriffed",
            "log_parser_fail_json_sheriffed",
            "log_parser_fail_raw_unsheriffed",
            "log_parser_fail_json_unsheriffed",
        )
    ),
    # Scheduled jobs (config/settings/operations.py): the pushlog failsafe, and the maintenance jobs.
    Queue("pushlog", _default, routing_key="pushlog"),
    Queue("maintenance", _default, routing_key="maintenance"),
]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_DEFAULT_EXCHANGE = "default"
CELERY_TASK_DEFAULT_ROUTING_KEY = "default"
CELERY_TASK_CREATE_MISSING_QUEUES = False
# Every task's queue, by its registered name (Celery 5.7 deprecates the per-task `queue` attribute).
CELERY_TASK_ROUTES = {
    "ingest.store_pulse_tasks": {"queue": "store_pulse_tasks"},
    "ingest.store_pulse_pushes": {"queue": "store_pulse_pushes"},
    # The default; the scheduler names a failure queue per log (apply_async(queue=...)).
    "failures.parse_logs": {"queue": "log_parser"},
    "maintenance.fetch_push_logs": {"queue": "pushlog"},
    "maintenance.*": {"queue": "maintenance"},
}
CELERY_IMPORTS = ["workers.maintenance"]

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task killed at its hard time limit is requeued, not acked away (Celery acks it by default; this
# is the non-deprecated half of task_acks_on_failure_or_timeout=False). A task that fails is not
# acked either; the ingestion tasks turn their own failures into retries, dead letters or a requeue
# (workers/tasks.py), so nothing reaches Celery's failure path.
CELERY_TASK_ACKS_ON_TIMEOUT = False
CELERY_TASK_ACKS_ON_FAILURE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SOFT_TIME_LIMIT = 15 * 60
CELERY_TASK_TIME_LIMIT = 15 * 60 + 30
CELERY_BROKER_CONNECTION_TIMEOUT = 30
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_HEARTBEAT = 0
# Publisher confirms: send_task returns only once RabbitMQ has the message, so the Pulse listener
# acks a Pulse message only after its Celery task is safely queued.
CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
