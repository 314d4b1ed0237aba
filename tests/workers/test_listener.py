"""The Pulse listener acks a message only after its Celery task is enqueued, batches, and declares
its durable queue `queue/<user>/<name>` bound to the real exchanges."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from kombu import Connection

from workers.pulse.listener import TASKS, PulseListener, queue_name
from workers.pulse.replay import PulsePublisher, sample_task_messages


class EnqueueFailed(Exception):
    pass


@pytest.fixture
def pulse(settings: Any) -> Any:
    settings.PULSE_QUEUE_OWNER = f"test-{uuid.uuid4().hex[:8]}"
    url = os.environ["PULSE_URL"]
    publisher = PulsePublisher(url)  # declares the exchanges and this owner's listener queues
    yield url, publisher
    publisher.close()
    with Connection(url) as conn:
        for name in ("tasks", "resultsets"):
            conn.channel().queue_delete(f"queue/{settings.PULSE_QUEUE_OWNER}/{name}")


def _queued(url: str, name: str) -> int:
    with Connection(url) as conn:
        return int(conn.channel().queue_declare(name, passive=True)[1])


def test_messages_are_acked_only_after_the_enqueue(pulse: Any) -> None:
    url, publisher = pulse
    publisher.send(sample_task_messages()[:3])
    assert _queued(url, queue_name(TASKS)) == 3

    def failing(task: str, queue: str, batch: list[dict[str, Any]]) -> None:
        raise EnqueueFailed("broker refused the task")

    with pytest.raises(EnqueueFailed):
        PulseListener(TASKS, pulse_url=url, enqueue=failing, batch_wait=0.2).run(max_messages=3)
    assert _queued(url, queue_name(TASKS)) == 3  # nothing acked: all three come back

    batches: list[tuple[str, str, list[dict[str, Any]]]] = []
    PulseListener(
        TASKS, pulse_url=url, root_url="https://tc.example", enqueue=lambda *a: batches.append(a), batch_wait=0.2
    ).run(max_messages=3)

    assert _queued(url, queue_name(TASKS)) == 0
    assert [(task, queue, len(batch)) for task, queue, batch in batches] == [
        ("ingest.store_pulse_tasks", "store_pulse_tasks", 3)
    ]
    handed = batches[0][2]
    assert [(m["exchange"], m["routing_key"], m["body"]) for m in handed] == [
        (m["exchange"], m["routing_key"], m["body"]) for m in sample_task_messages()[:3]
    ]
    assert {m["root_url"] for m in handed} == {"https://tc.example"}
