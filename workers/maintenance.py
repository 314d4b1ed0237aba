"""Scheduled jobs as Celery tasks: thin adapters over services, each also a management command.

The scheduler (config/settings/operations.py, CELERY_BEAT_SCHEDULE) sends them; `worker_misc`
runs them (queues `pushlog` and `maintenance`). Each run is counted and timed
(`treeherder_scheduled_runs_total`, `treeherder_scheduled_duration_seconds`) and its end written to
the shared cache, where the status page (`/healthz/status`) shows each job's last run.

These tasks are acked when they start (not late, unlike ingestion): cycle_data can run for hours,
past RabbitMQ's 30-minute consumer timeout for unacked deliveries, and a lost run costs nothing,
the next scheduled one does the same work. A run that finds the previous one of the same job still
going skips (a lock in the cache), so a slow cycle_data never runs twice at once.
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import close_old_connections

from apps.classification.commenter import intermittents_comment
from apps.core.health import LAST_RUN_KEY
from apps.core.metrics import QUEUE_DEPTH, SCHEDULED_DURATION, SCHEDULED_RUNS
from apps.jobs.services.cycling import cycle_jobs, prune_reference_data
from apps.live.retention import prune_events
from apps.pushes.services.pushlog import pushlogs_fetch

logger = logging.getLogger(__name__)

LONG_SOFT_LIMIT = 23 * 3600
OPTIONS: dict[str, Any] = {"acks_late": False, "ignore_result": True}
RUNNING_KEY = "ops:running:{name}"


def scheduled(name: str, *, soft_time_limit: int = 15 * 60) -> Callable[[Callable[[], Any]], Any]:
    """Register `fn` as the task `name`: one run at a time, counted, timed, and recorded."""

    def wrap(fn: Callable[[], Any]) -> Any:
        @functools.wraps(fn)
        def run() -> Any:
            lock = RUNNING_KEY.format(name=name)
            if not cache.add(lock, time.time(), timeout=int(soft_time_limit) + 60):
                logger.info("%s: the previous run is still going; skipped", name)
                SCHEDULED_RUNS.labels(task=name, outcome="skipped").inc()
                return None
            started = time.monotonic()
            started_at = time.time()
            outcome = "failed"
            close_old_connections()
            try:
                summary = fn()
                outcome = "ok"
                return summary
            finally:
                seconds = time.monotonic() - started
                SCHEDULED_RUNS.labels(task=name, outcome=outcome).inc()
                SCHEDULED_DURATION.labels(task=name).observe(seconds)
                cache.set(
                    LAST_RUN_KEY.format(name=name),
                    {"started": started_at, "finished": time.time(), "seconds": round(seconds, 3), "outcome": outcome},
                    timeout=None,
                )
                cache.delete(lock)
                close_old_connections()

        return shared_task(name=name, soft_time_limit=soft_time_limit, time_limit=soft_time_limit + 60, **OPTIONS)(run)

    return wrap


@scheduled("maintenance.fetch_push_logs")
def fetch_push_logs() -> dict[str, Any]:
    result = pushlogs_fetch()
    return {"repositories": result.repositories, "recovered": len(result.recovered), "errors": len(result.errors)}


@scheduled("maintenance.update_bugscache", soft_time_limit=3000)
def update_bugscache() -> None:
    # The bug cache's own command (failure analysis) does the work.
    call_command("update_bugscache")


@scheduled("maintenance.cycle_data", soft_time_limit=LONG_SOFT_LIMIT)
def cycle_data() -> dict[str, Any]:
    result = cycle_jobs(now=datetime.datetime.now(tz=datetime.UTC))
    refdata = prune_reference_data()
    return {"jobs_deleted": result.jobs_deleted, "refdata_deleted": refdata}


@scheduled("maintenance.intermittents_commenter", soft_time_limit=3000)
def intermittents_commenter() -> dict[str, Any]:
    result = intermittents_comment(mode="auto")
    return {"weekly": result.weekly, "comments": len(result.changes), "posted": result.posted}


@scheduled("maintenance.prune_live_events")
def prune_live_events() -> int:
    return prune_events(now=datetime.datetime.now(tz=datetime.UTC))


@scheduled("maintenance.sample_queue_depths", soft_time_limit=50)
def sample_queue_depths() -> dict[str, int]:
    """Messages ready in each declared queue, into the treeherder_queue_depth gauge."""
    from config.celery import app

    depths: dict[str, int] = {}
    with app.connection_for_read() as conn:
        for queue in settings.CELERY_TASK_QUEUES:
            # A channel per queue: a failed passive declare (queue not declared yet) closes its channel.
            try:
                channel: Any
                with conn.channel() as channel:
                    _, count, _ = channel.queue_declare(queue=queue.name, passive=True)
            except Exception as exc:  # noqa: BLE001 - a queue not declared yet has no depth; go on
                logger.info("queue %s not sampled: %s", queue.name, exc)
                continue
            depths[queue.name] = int(count)
            QUEUE_DEPTH.labels(queue=queue.name).set(count)
    return depths
