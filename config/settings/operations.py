"""Operations: the scheduler (`celery_scheduler`, Celery beat) with every periodic job, and the
settings of those jobs (retention, the commenter).

Beat runs with celery-redbeat's scheduler: the schedule's state and a lock live in Redis, and only
the process holding the lock sends tasks, so a second scheduler started by mistake (or as a standby)
waits and takes over when the first one's lock expires (SCHEDULER_LOCK_TIMEOUT seconds).

Each entry is a Celery task on a named queue (CELERY_TASK_ROUTES in config/settings/celery.py) that a
worker process type of the Procfile consumes, and each has a management command that does the same
by hand (docs/operations.md, "Schedule").
"""

from celery.schedules import crontab

from config.env import CONFIG, OPS

CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
CELERY_REDBEAT_REDIS_URL = CONFIG.redis_url or None
CELERY_REDBEAT_KEY_PREFIX = "th:redbeat:"
CELERY_REDBEAT_LOCK_KEY = "th:redbeat::lock"
CELERY_REDBEAT_LOCK_TIMEOUT = OPS.scheduler_lock_timeout
# Beat wakes at least this often, so it extends its lock well within the lock's timeout.
CELERY_BEAT_MAX_LOOP_INTERVAL = max(1, OPS.scheduler_lock_timeout // 5)

CELERY_BEAT_SCHEDULE = {
    # Treeherder's failsafe: hg pushes whose Pulse message never came, from each repository's pushlog.
    "fetch-push-logs": {"task": "maintenance.fetch_push_logs", "schedule": 5 * 60.0},
    "update-bugscache": {"task": "maintenance.update_bugscache", "schedule": crontab(minute="7")},
    "cycle-data": {"task": "maintenance.cycle_data", "schedule": crontab(hour="3", minute="17")},
    # `auto` mode: daily, and the weekly report on Mondays (Treeherder's `-m auto`).
    "intermittents-commenter": {
        "task": "maintenance.intermittents_commenter",
        "schedule": crontab(hour="4", minute="37"),
    },
    # The live-event outbox keeps 24 hours and at least 100,000 events (apps/live/retention.py).
    "prune-live-events": {"task": "maintenance.prune_live_events", "schedule": 10 * 60.0},
    # Queue depths for /metrics (treeherder_queue_depth).
    "sample-queue-depths": {"task": "maintenance.sample_queue_depths", "schedule": 60.0},
}

# cycle_data (apps/jobs/services/cycling.py): job retention in days, per repository.
CYCLE_DATA_DAYS = OPS.cycle_data_days
CYCLE_DATA_TRY_DAYS = OPS.cycle_data_try_days
CYCLE_DATA_REPOSITORY_DAYS = OPS.cycle_data_repository_days
CYCLE_DATA_CHUNK_SIZE = OPS.cycle_data_chunk_size
CYCLE_DATA_SLEEP_SECONDS = OPS.cycle_data_sleep_seconds

# The intermittents commenter posts to Bugzilla (BUGZILLA_URL) only with this key; else it prints.
BUGZILLA_API_KEY = OPS.bugzilla_api_key
# Where its comments link to (Treeherder's intermittent-failures view).
TREEHERDER_UI_URL = "https://treeherder.mozilla.org"

# The live read pool's threads per web process (apps/live/reads.py).
LIVE_DB_THREADS = OPS.live_db_threads
