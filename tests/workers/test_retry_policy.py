"""The retry policy of the ingestion tasks: waits that stay under RabbitMQ's consumer_timeout, a
total retry window of about three hours, and dead-lettering that never loses a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from config.env import load_ingest
from workers.tasks import RETRY_MAX_COUNTDOWN, _retry_or_dead_letter, retry_countdown

# RabbitMQ's default consumer_timeout (30 min since 3.8.15; the broker here runs with it).
CONSUMER_TIMEOUT = 30 * 60


@dataclass
class RecordingTask:
    """Stands in for the Celery task object: records what would be enqueued again."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def apply_async(self, *, args: list[Any], kwargs: dict[str, Any], countdown: float) -> None:
        self.calls.append({"messages": args[0], "attempt": kwargs["attempt"], "countdown": countdown})


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

    _retry_or_dead_letter(task, "tasks", [message], 11, "missing_push", "push not stored")

    assert task.calls == [{"messages": [message], "attempt": 12, "countdown": RETRY_MAX_COUNTDOWN}]
