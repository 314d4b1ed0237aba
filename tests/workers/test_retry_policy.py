"""The retry policy of the ingestion tasks (`workers.tasks.Retry`, `run_task`, `run_batch`): waits that
stay under RabbitMQ's consumer_timeout, a total retry window of about three hours, halving, and
dead-lettering that never loses a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from celery.exceptions import Reject

from apps.core.metrics import Counters
from apps.dead_letters.models import DeadLetter
from config.env import load_ingest
from workers.tasks import RETRY_MAX_COUNTDOWN, Retry, retry_countdown, run_batch, run_task

# RabbitMQ's default consumer_timeout (30 min since 3.8.15; the broker here runs with it).
CONSUMER_TIMEOUT = 30 * 60


@dataclass
class RecordingTask:
    """Stands in for the Celery task object: records what would be enqueued again."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    redelivered: bool = False
    broker_down: bool = False

    @property
    def request(self) -> SimpleNamespace:
        return SimpleNamespace(delivery_info={"redelivered": self.redelivered})

    def apply_async(self, *, args: list[Any], kwargs: dict[str, Any], countdown: float, **options: Any) -> None:
        if self.broker_down:
            raise ConnectionError("broker unavailable")
        assert options == {"time_limit": None, "soft_time_limit": None}  # the worker's limits apply
        self.calls.append({"messages": args[0], "attempt": kwargs["attempt"], "countdown": countdown})


def _messages(count: int) -> list[dict[str, Any]]:
    return [{"body": {"n": n}, "exchange": "exchange/taskcluster-queue/v1/task-pending"} for n in range(count)]


def _not_run(batch: list[dict[str, Any]], counters: Counters) -> None:
    raise AssertionError("a redelivered batch must not be run as it is")


def _fails(batch: list[dict[str, Any]], counters: Counters) -> None:
    raise RuntimeError("unexpected")


def test_no_wait_reaches_the_consumer_timeout(settings: Any) -> None:
    settings.INGEST_RETRY_BASE_SECONDS = 10
    waits = [retry_countdown(attempt) for attempt in range(64) for _ in range(20)]

    assert max(waits) <= RETRY_MAX_COUNTDOWN == 25 * 60
    # With the task's own hard time limit (5 min) on top, a delivery is acked within the timeout.
    assert RETRY_MAX_COUNTDOWN + 300 <= CONSUMER_TIMEOUT


def test_the_default_retry_window_is_about_three_hours(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INGEST_MAX_RETRIES", "INGEST_RETRY_BASE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    defaults = load_ingest()
    settings.INGEST_RETRY_BASE_SECONDS = defaults.retry_base_seconds
    assert (defaults.max_retries, defaults.retry_base_seconds) == (13, 10.0)

    window = sum(retry_countdown(attempt) for attempt in range(defaults.max_retries))

    # 10 s doubling to 1,280 s, then five waits of 25 min: 10,050 s (2.8 h, as Treeherder's 10,230 s).
    assert 2.6 * 3600 < window < 3.0 * 3600


def test_a_retry_is_enqueued_with_a_capped_countdown_and_the_next_attempt(settings: Any) -> None:
    settings.INGEST_MAX_RETRIES = 13
    settings.INGEST_RETRY_BASE_SECONDS = 10
    task = RecordingTask()
    message = {"body": {}, "exchange": "x"}

    Retry(task, "tasks", 11).retry([message], "missing_push", "push not stored")

    assert task.calls == [{"messages": [message], "attempt": 12, "countdown": RETRY_MAX_COUNTDOWN}]


def test_a_redelivered_batch_is_re_enqueued_in_halves_as_the_next_attempt(settings: Any) -> None:
    settings.INGEST_MAX_RETRIES = 13
    task = RecordingTask(redelivered=True)
    messages = _messages(5)

    run_task(Retry(task, "tasks", 2), messages, _not_run)

    assert [(call["messages"], call["attempt"]) for call in task.calls] == [(messages[:3], 3), (messages[3:], 3)]


@pytest.mark.django_db
def test_a_message_redelivered_past_the_last_attempt_is_dead_lettered(settings: Any) -> None:
    settings.INGEST_MAX_RETRIES = 3
    task = RecordingTask(redelivered=True)

    run_task(Retry(task, "tasks", 3), _messages(1), _not_run)

    assert task.calls == []
    assert list(DeadLetter.objects.values_list("reason", "attempts")) == [("redelivered", 4)]


@pytest.mark.django_db(transaction=True)
def test_a_failing_message_that_cannot_be_dead_lettered_stays_in_the_broker(settings: Any) -> None:
    # NaN is not JSON: MariaDB's JSON_VALID check refuses the dead letter (a real DatabaseError).
    message = {"body": {"value": float("nan")}, "exchange": "exchange/taskcluster-queue/v1/task-pending"}
    task = RecordingTask()

    run_batch(Retry(task, "tasks", 4), [message], _fails)

    assert DeadLetter.objects.count() == 0
    assert len(task.calls) == 1
    assert (task.calls[0]["attempt"], task.calls[0]["countdown"]) == (4, RETRY_MAX_COUNTDOWN)


def test_an_error_that_escapes_the_task_requeues_the_delivery(settings: Any) -> None:
    settings.INGEST_MAX_RETRIES = 13
    task = RecordingTask(redelivered=True, broker_down=True)

    with pytest.raises(Reject) as rejected:
        run_task(Retry(task, "tasks", 0), _messages(2), _not_run)

    assert rejected.value.requeue


def test_retry_in_halves_splits_a_batch_and_an_empty_retry_enqueues_nothing(settings: Any) -> None:
    settings.INGEST_MAX_RETRIES = 13
    task = RecordingTask()
    messages = _messages(3)

    Retry(task, "pushes", 0).retry_in_halves(messages, "timeout", "the batch hit its soft time limit")
    Retry(task, "pushes", 0).retry([], "transient", "nothing failed")

    assert [(call["messages"], call["attempt"]) for call in task.calls] == [(messages[:2], 1), (messages[2:], 1)]


@pytest.mark.django_db
def test_the_last_attempt_dead_letters_with_its_reason_and_attempts(settings: Any) -> None:
    settings.INGEST_MAX_RETRIES = 2
    task = RecordingTask()

    Retry(task, "pushes", 2).retry(_messages(2), "transient", "hg: 503")

    assert task.calls == []
    assert list(DeadLetter.objects.values_list("kind", "reason", "detail", "attempts")) == [
        ("pushes", "transient", "hg: 503", 3),
        ("pushes", "transient", "hg: 503", 3),
    ]
