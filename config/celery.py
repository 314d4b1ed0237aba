"""The Celery app. Configuration comes from Django settings (CELERY_*), tasks from workers/."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("treeherder")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"], related_name="tasks")

# celery-redbeat (2.4) checks for its Redis settings without Celery's CELERY_ namespace and, not
# finding them there, warns that it falls back to the broker's: name them the way it looks too.
app.conf.update(redbeat_redis_url=app.conf.get("CELERY_REDBEAT_REDIS_URL"), redbeat_redis_options={})

# One log line per task, with its duration and the task id (apps/core/logs.py).
from apps.core.logs import connect_task_logging  # noqa: E402 - after the app exists

connect_task_logging()


@signals.worker_process_shutdown.connect
def _forget_process(pid: int | None = None, **kwargs: object) -> None:
    """A pool process's live gauges leave /metrics' sums when it exits (prometheus multiprocess)."""
    from apps.core.metrics import mark_process_dead

    mark_process_dead(pid or os.getpid())
