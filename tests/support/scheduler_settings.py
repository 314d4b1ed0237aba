"""Settings for scheduler processes started by tests: a schedule of one entry due every second,
and redbeat keys of the test's own (TEST_REDBEAT_PREFIX), so two test schedulers share one lock."""

import os

from config.settings import *  # noqa: F403

CELERY_REDBEAT_KEY_PREFIX = os.environ["TEST_REDBEAT_PREFIX"]
CELERY_REDBEAT_LOCK_KEY = f"{CELERY_REDBEAT_KEY_PREFIX}:lock"
CELERY_REDBEAT_LOCK_TIMEOUT = 4
CELERY_BEAT_MAX_LOOP_INTERVAL = 1
CELERY_BEAT_SCHEDULE = {"tick": {"task": "maintenance.sample_queue_depths", "schedule": 1.0}}
