"""Celery task `failures.parse_logs`: a thin adapter over `apps.failures.services.logs`.

Scheduled by `schedule_log_parsing` for each job that an ingestion batch completed (on the queue
`apps.failures.services.scheduling` picks). A log whose fetch failed for a reason a retry may fix
is retried with the ingestion backoff, at most LOG_PARSE_MAX_RETRIES times; 403/404, oversized and
already-parsed logs are not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import shared_task
from django.db import close_old_connections

from apps.failures.services.logs import job_logs_parse
from apps.failures.services.scheduling import NORMAL_QUEUE, parse_requests_for
from apps.live.events import JobChanged

# The configured app (broker, queues, eager in embedded mode) even in a process that is not a worker,
# e.g. the embedded replay, which schedules parses in-process.
from config.celery import app as _celery_app  # noqa: F401

logger = logging.getLogger(__name__)

PARSE_LOGS = "failures.parse_logs"
LOG_PARSE_MAX_RETRIES = 10


def _countdown(attempt: int) -> float:
    from workers.tasks import retry_countdown

    return retry_countdown(attempt)


@shared_task(name=PARSE_LOGS, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def parse_logs(
    self: Any, job_id: int, log_ids: list[int] | None = None, queue: str = NORMAL_QUEUE, attempt: int = 0
) -> None:
    close_old_connections()
    outcome = job_logs_parse(job_id=job_id, log_ids=log_ids)
    if outcome.errors and attempt < LOG_PARSE_MAX_RETRIES:
        logger.info("job %s: %d log(s) failed (%s); retry %d", job_id, len(outcome.failed), outcome.errors[0], attempt)
        args = (job_id, outcome.failed, queue, attempt + 1)
        parse_logs.apply_async(args=args, queue=queue, countdown=_countdown(attempt))


def schedule_log_parsing(events: Iterable[JobChanged]) -> int:
    """Enqueue the parse of every pending log of the jobs these events completed. Returns how many."""
    requests = parse_requests_for(events)
    for request in requests:
        parse_logs.apply_async(args=(request.job_id, list(request.log_ids), request.queue), queue=request.queue)
    return len(requests)
