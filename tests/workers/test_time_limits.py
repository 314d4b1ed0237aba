"""Ingestion tasks at their time limits, with a real Celery worker: a batch that runs out of time is
retried rather than dead-lettered or acked away, and a message that keeps killing workers is
isolated from its batch and dead-lettered once its attempts run out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from apps.core.metrics import metrics_snapshot
from apps.dead_letters.models import DeadLetter
from apps.jobs.models import Job
from apps.jobs.services.ingest import pulse_tasks_ingest
from apps.pushes.services import pulse_push_ingest
from config.celery import app as celery_app
from devtools.replay import sample_push_messages, sample_task_messages
from devtools.sample_services import SampleServer
from tests.support.workers import celery_worker_args, run_process, wait_for
from workers.tasks import NO_TIME_LIMITS_IN_MESSAGE, STORE_TASKS, TASKS_QUEUE

pytestmark = [pytest.mark.slow]

# Two sample tasks on autoland pushes of the samples.
FIRST, SECOND = "A35mWTRuQmyj88yMnIF0fA", "B3EheQ-IQ5aPzw34KS_a6g"
REVISIONS = {"219d38523a321229f7f48aca6592f76b993fb1aa", "918d7c84da371bda26460fb4b50f161d32107880"}


def _store_pushes(hg_url: str) -> None:
    for message in sample_push_messages(hg_url):
        if message["body"].get("payload", {}).get("heads", [""])[0] in REVISIONS:
            pulse_push_ingest(body=message["body"], exchange=message["exchange"])


def _message(task_id: str, root_url: str) -> dict[str, Any]:
    message = next(m for m in sample_task_messages() if m["body"]["status"]["taskId"] == task_id)
    return {**message, "root_url": root_url}


def _enqueue(messages: list[dict[str, Any]]) -> None:
    # As the listener sends them: the worker's limits apply, not this process's.
    celery_app.send_task(STORE_TASKS, args=[messages], queue=TASKS_QUEUE, **NO_TIME_LIMITS_IN_MESSAGE)


def test_a_batch_past_its_soft_time_limit_is_retried(
    pipeline_env: dict[str, str], tmp_path: Path, settings: Any, sample_services: SampleServer
) -> None:
    _store_pushes(settings.HG_URL)
    root = pipeline_env["TASKCLUSTER_ROOT_URL"]
    # Taskcluster answers this task's definition only after longer than the soft time limit.
    sample_services.stalls[f"/api/queue/v1/task/{FIRST}"] = 6
    env = {**pipeline_env, "INGEST_TASK_SOFT_TIME_LIMIT": "2", "INGEST_TASK_TIME_LIMIT": "30"}
    with run_process(celery_worker_args("soft"), tmp_path, "worker", env) as worker:
        _enqueue([_message(FIRST, root)])
        wait_for(
            lambda: metrics_snapshot().get('pulse_batch_timeouts{kind="tasks"}', 0) >= 1,
            timeout=60,
            what="the soft time limit",
            logs=worker.log,
        )
        sample_services.stalls.clear()  # Taskcluster is fast again: the retry stores the job
        wait_for(lambda: Job.objects.count() == 1, timeout=60, what="the job", logs=worker.log)
    assert DeadLetter.objects.count() == 0


def test_a_message_that_keeps_hitting_the_hard_time_limit_is_isolated_and_dead_lettered(
    pipeline_env: dict[str, str], tmp_path: Path, settings: Any
) -> None:
    _store_pushes(settings.HG_URL)
    root = pipeline_env["TASKCLUSTER_ROOT_URL"]
    poison, innocent = _message(FIRST, root), _message(SECOND, root)
    # Both jobs' reference data exists (a killed worker's transaction lingers in MariaDB, holding the
    # rows it inserted, until its lock wait ends); the second job is then new again.
    pulse_tasks_ingest(messages=[poison, innocent])
    guid = Job.objects.get(taskcluster_metadata__task_id=FIRST).guid
    Job.objects.filter(taskcluster_metadata__task_id=SECOND).delete()
    # Only the hard limit: the worker blocks on a row lock this test holds, and is killed.
    env = {
        **pipeline_env,
        "INGEST_TASK_SOFT_TIME_LIMIT": "2",
        "INGEST_TASK_TIME_LIMIT": "4",
        "INGEST_MAX_RETRIES": "3",
        "INGEST_RETRY_BASE_SECONDS": "0.2",
    }
    with run_process(celery_worker_args("hard"), tmp_path, "worker", env) as worker, transaction.atomic():
        Job.objects.select_for_update().get(guid=guid)
        _enqueue([poison, innocent])
        # Killed at the limit, the batch is requeued (not acked away), comes back redelivered and is
        # split: the innocent message is stored while the lock still blocks the other one ...
        wait_for(lambda: Job.objects.count() == 2, timeout=90, what="the innocent job", logs=worker.log)
        # ... which is killed again and again until its attempts run out.
        wait_for(lambda: DeadLetter.objects.count() == 1, timeout=120, what="the dead letter", logs=worker.log)
        letter = DeadLetter.objects.get()
        assert (letter.reason, letter.attempts) == ("redelivered", 4)
        assert letter.message["body"]["status"]["taskId"] == FIRST
        assert "Hard time limit (4.0s) exceeded" in worker.log()
    assert metrics_snapshot()['pulse_batch_redelivered{kind="tasks"}'] == 4
