"""Celery tasks: thin adapters over the ingestion services, with the retry policy.

* `ingest.store_pulse_tasks` (queue store_pulse_tasks): a batch of Taskcluster queue messages.
* `ingest.store_pulse_pushes` (queue store_pulse_pushes): a batch of push messages.

Retry policy: invalid input is never retried (the services reject it, logged and counted). A message
whose push is not stored yet, a fetch that failed transiently, or a database that is unavailable is
re-enqueued (only those messages) after `INGEST_RETRY_BASE_SECONDS * 2**attempt` (jittered, at most
RETRY_MAX_COUNTDOWN, 25 min), up to INGEST_MAX_RETRIES times; then it is dead-lettered (apps.dead_letters).
An unexpected error in a batch re-runs its messages one by one so that only the culprit is dead-lettered.

Time limits and lost deliveries (ingestion is idempotent, so running a message twice is harmless;
losing one is not):

* A batch that hits the soft time limit (INGEST_TASK_SOFT_TIME_LIMIT) stops there; the whole batch
  is re-enqueued, in two halves, as the next attempt (with its backoff).
* The hard limit (INGEST_TASK_TIME_LIMIT) kills the pool process; with CELERY_TASK_ACKS_ON_TIMEOUT off
  the broker requeues the delivery, as it does for a worker that dies (reject_on_worker_lost).
* A delivery marked `redelivered` was delivered before and never acked: a killed or lost worker,
  maybe killed by this very batch. It is not run again as it is: it too is re-enqueued in halves as
  the next attempt.
  Halving isolates a message that keeps timing out or killing workers (the rest of its batch goes
  on), and the attempt counter bounds it: like any retry it is dead-lettered when the attempts run
  out, so no message loops for ever.
* Anything that still escapes the task is rejected with requeue (so it comes back `redelivered`),
  never acked away.
* Dead-lettering itself can fail (the database is down): the messages are then re-enqueued for later.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from celery.exceptions import Reject, SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, close_old_connections, connection

from apps.core.http import OutboundError
from apps.core.metrics import INGEST_LAG, Counters
from apps.core.pulse import PulseEnvelope
from apps.dead_letters.services import dead_letters_store
from apps.jobs.services.ingest import pulse_tasks_ingest
from apps.pushes.services import pulse_push_ingest
from workers.logs import schedule_log_parsing

logger = logging.getLogger(__name__)

# Names and queues; config/settings/celery.py routes each name to its queue (CELERY_TASK_ROUTES).
STORE_TASKS = "ingest.store_pulse_tasks"
STORE_PUSHES = "ingest.store_pulse_pushes"
TASKS_QUEUE = "store_pulse_tasks"
PUSHES_QUEUE = "store_pulse_pushes"
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError, IntegrityError)
TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": settings.INGEST_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.INGEST_TASK_TIME_LIMIT,
    "ignore_result": True,
}
# A task enqueued with a countdown sits unacked in a worker until it is due, and RabbitMQ closes the
# channel of a consumer that holds a delivery unacked past its consumer_timeout (30 min by default
# since RabbitMQ 3.8.15), redelivering everything the worker had prefetched. So no wait is longer
# than 25 min: with the task's hard time limit (5 min by default) it stays under 30.
RETRY_MAX_COUNTDOWN = 25 * 60.0


def retry_countdown(attempt: int) -> float:
    base = float(settings.INGEST_RETRY_BASE_SECONDS) * (2 ** min(attempt, 32))
    return min(RETRY_MAX_COUNTDOWN, base * random.uniform(0.9, 1.1))  # noqa: S311 - jitter, not security


# Enqueue with no time limits in the message. Celery (5.7) copies the sending process's limits of a
# task it has registered into the message, where they override the worker's: a listener or a
# manage.py command would impose its own INGEST_TASK_* on the workers. Without them the worker's apply.
NO_TIME_LIMITS_IN_MESSAGE: dict[str, Any] = {"time_limit": None, "soft_time_limit": None}


def _enqueue(task: Any, messages: list[PulseEnvelope], attempt: int, countdown: float) -> None:
    task.apply_async(args=[messages], kwargs={"attempt": attempt}, countdown=countdown, **NO_TIME_LIMITS_IN_MESSAGE)


Process = Callable[[list[PulseEnvelope], Counters], None]


@dataclass(frozen=True)
class Retry:
    """What happens next to messages of one delivery that did not get through: this delivery's
    task, kind ("tasks" or "pushes") and attempt, with the three ways on (module docstring)."""

    task: Any
    kind: str
    attempt: int

    def retry(self, messages: list[PulseEnvelope], reason: str, detail: str) -> None:
        """Re-enqueue the messages as the next attempt, after the backoff; past the last attempt,
        dead-letter them."""
        if not messages:
            return
        if self.attempt < settings.INGEST_MAX_RETRIES:
            countdown = retry_countdown(self.attempt)
            logger.info(
                "%d %s message(s) %s; retry %d in %.1f s", len(messages), self.kind, reason, self.attempt + 1, countdown
            )
            _enqueue(self.task, messages, self.attempt + 1, countdown)
        else:
            self.dead_letter(messages, reason, detail)

    def retry_in_halves(self, messages: list[PulseEnvelope], reason: str, detail: str) -> None:
        """Re-enqueue a batch that did not complete as two tasks (the next attempt), or dead-letter it."""
        middle = (len(messages) + 1) // 2
        for part in (messages[:middle], messages[middle:]):
            self.retry(part, reason, detail)

    def dead_letter(self, messages: list[PulseEnvelope], reason: str, detail: str) -> None:
        """Keep the messages as dead letters; if that fails, back to the broker for later."""
        try:
            dead_letters_store(
                kind=self.kind, reason=reason, detail=detail, messages=messages, attempts=self.attempt + 1
            )
        except SoftTimeLimitExceeded:
            raise  # the whole batch is re-enqueued (run_task)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the messages must not be lost
            # Typically the dead-letter table is in the database that is failing: keep the messages in
            # the broker instead, and try again later.
            if isinstance(exc, DatabaseError):
                connection.close()
            logger.error(
                "cannot dead-letter %d %s message(s) (%s: %s); retrying later",
                len(messages),
                self.kind,
                type(exc).__name__,
                exc,
            )
            _enqueue(self.task, messages, self.attempt, RETRY_MAX_COUNTDOWN)


def _observe_lag(kind: str, messages: list[PulseEnvelope]) -> None:
    """Pulse publish (or listener receipt) to commit, per message of a batch that ran."""
    now = time.time()
    for message in messages:
        sent = message.get("published_at") or message.get("received_at")
        if isinstance(sent, int | float) and not isinstance(sent, bool):
            INGEST_LAG.labels(kind=kind).observe(max(0.0, now - float(sent)))


def run_batch(retry: Retry, messages: list[PulseEnvelope], process: Process) -> None:
    """Run `process` over the batch; a database error retries it, an unexpected error re-runs it
    message by message so that only the culprit is dead-lettered."""
    kind = retry.kind
    close_old_connections()
    counters = Counters()
    try:
        process(messages, counters)
        _observe_lag(kind, messages)
    except SoftTimeLimitExceeded:
        raise  # the whole batch is re-enqueued by run_task: no time left to go on here
    except TRANSIENT_DB_ERRORS as exc:
        # The database is unavailable (or a write raced): the connection may be dead; drop it.
        connection.close()
        counters.incr("pulse_batch_db_errors", kind=kind)
        logger.warning("%s batch of %d hit a database error: %s", kind, len(messages), exc)
        retry.retry(messages, "transient", f"database: {exc}")
    except Exception as exc:
        if isinstance(exc, DatabaseError):
            connection.close()
        if len(messages) > 1:
            logger.exception("%s batch of %d failed; storing its messages one by one", kind, len(messages))
            for message in messages:
                run_batch(retry, [message], process)
        else:
            logger.exception("%s message failed", kind)
            counters.incr("pulse_batch_errors", kind=kind)
            retry.dead_letter(messages, "error", f"{type(exc).__name__}: {exc}")
    finally:
        counters.flush()


def run_task(retry: Retry, messages: list[PulseEnvelope], process: Process) -> None:
    """One delivery of a batch, under the time limits and delivery rules of the module docstring."""
    task, kind = retry.task, retry.kind
    counters = Counters()
    try:
        if (task.request.delivery_info or {}).get("redelivered"):
            counters.incr("pulse_batch_redelivered", kind=kind)
            logger.warning(
                "%s batch of %d (attempt %d) was delivered before and not acked (a lost worker, or one killed "
                "at the hard time limit); re-enqueueing it in halves",
                kind,
                len(messages),
                retry.attempt,
            )
            retry.retry_in_halves(messages, "redelivered", "redelivered: lost worker or hard time limit")
            return
        try:
            run_batch(retry, messages, process)
        except SoftTimeLimitExceeded:
            counters.incr("pulse_batch_timeouts", kind=kind)
            logger.warning("%s batch of %d hit its soft time limit; re-enqueueing it in halves", kind, len(messages))
            retry.retry_in_halves(messages, "timeout", "the batch hit its soft time limit")
    except Exception as exc:
        # Nothing is meant to get here; if something does, the broker keeps the delivery (it comes
        # back `redelivered`, and is then bounded by the attempts like any retry).
        logger.exception("%s batch of %d failed unexpectedly; requeueing it", kind, len(messages))
        raise Reject(exc, requeue=True) from exc
    finally:
        counters.flush()


@shared_task(name=STORE_TASKS, **TASK_OPTIONS)
def store_pulse_tasks(self: Any, messages: list[PulseEnvelope], attempt: int = 0) -> None:
    retry = Retry(self, "tasks", attempt)

    def process(batch: list[PulseEnvelope], counters: Counters) -> None:
        result = pulse_tasks_ingest(messages=batch, counters=counters)
        schedule_log_parsing(result.stored.events)
        if result.missing_push:
            counters.incr("jobs_missing_push", len(result.missing_push))
        retry.retry(result.missing_push, "missing_push", "push not stored")
        retry.retry(result.transient, "transient", "; ".join(result.transient_errors[:3]))

    run_task(retry, messages, process)


@shared_task(name=STORE_PUSHES, **TASK_OPTIONS)
def store_pulse_pushes(self: Any, messages: list[PulseEnvelope], attempt: int = 0) -> None:
    retry = Retry(self, "pushes", attempt)

    def process(batch: list[PulseEnvelope], counters: Counters) -> None:
        again: list[PulseEnvelope] = []
        errors: list[str] = []
        for message in batch:
            try:
                pulse_push_ingest(body=message.get("body"), exchange=str(message.get("exchange")), counters=counters)
            except OutboundError as exc:  # only retryable ones get here
                again.append(message)
                errors.append(str(exc))
        retry.retry(again, "transient", "; ".join(errors[:3]))

    run_task(retry, messages, process)
