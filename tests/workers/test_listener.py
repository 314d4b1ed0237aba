"""The Pulse listener acks a message only after its Celery task is enqueued, batches, and declares
its durable queue `queue/<user>/<name>` bound to the real exchanges."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import pytest
from kombu import Connection

from config.celery import app as celery_app
from devtools.replay import PulsePublisher, sample_task_messages
from tests.support.workers import purge_queues, queue_has_consumer, wait_for
from workers.pulse.listener import TASKS, PulseListener, queue_name


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


def test_an_idle_listener_keeps_its_connection(pulse: Any) -> None:
    """With a 2 s heartbeat RabbitMQ drops a client that stays silent for two intervals; the
    listener sends its heartbeats while idle, so it is still connected (no reconnect) afterwards."""
    url, publisher = pulse
    batches: list[tuple[str, str, list[dict[str, Any]]]] = []
    listener = PulseListener(TASKS, pulse_url=url, enqueue=lambda *a: batches.append(a), batch_wait=0.05, heartbeat=2)
    thread = threading.Thread(target=listener.run, kwargs={"max_messages": 1}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: queue_has_consumer(url, queue_name(TASKS)), timeout=30, what="the listener to consume")
        time.sleep(9)  # idle for more than four heartbeat intervals
        publisher.send(sample_task_messages()[:1])
        thread.join(timeout=60)
    finally:
        listener.stop_event.set()
        thread.join(timeout=10)
    assert len(batches) == 1
    assert listener.reconnects == 0


def test_batches_carry_no_time_limits_so_the_workers_own_apply(pulse: Any) -> None:
    """Celery copies the sender's limits of a task it knows into the message, where they would
    override the worker's INGEST_TASK_* settings; the listener sends none."""
    url, publisher = pulse
    broker = os.environ["CELERY_BROKER_URL"]
    assert celery_app.tasks["ingest.store_pulse_tasks"].soft_time_limit  # known here, with limits
    purge_queues(broker)
    publisher.send(sample_task_messages()[:2])

    PulseListener(TASKS, pulse_url=url, batch_wait=0.2).run(max_messages=2)

    with Connection(broker) as conn:
        message = conn.channel().basic_get("store_pulse_tasks", no_ack=True)
    purge_queues(broker)
    assert message is not None
    assert message.headers["task"] == "ingest.store_pulse_tasks"
    assert message.headers["timelimit"] == [None, None]
