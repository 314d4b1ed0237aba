"""Publishing Pulse traffic: the sample messages, and a synthetic stream of pushes and tasks.

Messages go to the real Pulse exchange names (declared here, topic and durable, as Pulse has them)
in Pulse's format: a JSON body, the exchange, and Taskcluster's routing key. In embedded mode the
same messages can instead go straight to the ingestion services (`InProcessSink`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from kombu import Connection, Exchange, Producer

from apps.core.metrics import Counters
from apps.core.pulse import PulseEnvelope
from apps.jobs.services.ingest import pulse_tasks_ingest
from apps.jobs.services.taskcluster import TASK_EXCHANGES, route_origins
from apps.pushes.services import pulse_push_ingest
from apps.pushes.services.loaders import GITHUB_PR_EXCHANGE, HG_EXCHANGE, PUSH_EXCHANGES
from apps.repositories.models import Repository
from devtools import synthetic
from devtools.samples import SAMPLES, sample_read
from workers.logs import schedule_log_parsing
from workers.pulse.listener import PUSHES, TASKS, pulse_queue

logger = logging.getLogger(__name__)

# A message as published to Pulse ({"exchange", "routing_key", "body"}); the listener wraps it in a
# PulseEnvelope (adding the Taskcluster root URL), as InProcessSink does here.
PulseMessage = dict[str, Any]


class Sink(Protocol):
    def send(self, messages: list[PulseMessage]) -> None: ...

    def close(self) -> None: ...


class PulsePublisher:
    """Publishes to Pulse exchanges on PULSE_URL, with publisher confirms."""

    def __init__(self, pulse_url: str | None = None, *, declare_listener_queues: bool = True) -> None:
        self.connection = Connection(pulse_url or settings.PULSE_URL, transport_options={"confirm_publish": True})
        self.connection.ensure_connection(max_retries=10)
        self.channel = self.connection.channel()
        self.exchanges = {
            name: Exchange(name, type="topic", durable=True)(self.channel)
            for name in (*TASK_EXCHANGES, *PUSH_EXCHANGES)
        }
        for exchange in self.exchanges.values():
            exchange.declare()
        if declare_listener_queues:
            # A local "Pulse": make sure the listeners' queues exist and are bound before the first
            # message, or a replay that starts before a listener would publish into the void.
            for spec in (TASKS, PUSHES):
                pulse_queue(spec, passive_exchanges=False)(self.channel).declare()
        self.producer = Producer(self.channel)
        self.published = 0

    def send(self, messages: list[PulseMessage]) -> None:
        for message in messages:
            self.producer.publish(
                message["body"],
                exchange=self.exchanges[message["exchange"]],
                routing_key=message["routing_key"],
                serializer="json",
                delivery_mode=2,
            )
        self.published += len(messages)

    def close(self) -> None:
        self.connection.release()


class InProcessSink:
    """Embedded mode: hand messages straight to the services, as the Celery tasks would."""

    def __init__(self) -> None:
        self.root_url = settings.TASKCLUSTER_ROOT_URL

    def send(self, messages: list[PulseMessage]) -> None:
        counters = Counters()
        tasks = []
        for message in messages:
            handed = PulseEnvelope(
                body=message["body"],
                exchange=message["exchange"],
                routing_key=message.get("routing_key", ""),
                root_url=self.root_url,
            )
            if message["exchange"] in PUSH_EXCHANGES:
                pulse_push_ingest(body=message["body"], exchange=message["exchange"], counters=counters)
            else:
                tasks.append(handed)
        if tasks:
            result = pulse_tasks_ingest(messages=tasks, counters=counters)
            schedule_log_parsing(result.stored.events)  # runs in-process (CELERY_TASK_ALWAYS_EAGER)
            if result.missing_push or result.transient:
                logger.warning(
                    "%d message(s) not stored yet (missing push or a failed fetch)",
                    len(result.missing_push) + len(result.transient),
                )
        counters.flush()

    def close(self) -> None:
        pass  # holds no connection


def sample_push_messages(hg_url: str) -> list[PulseMessage]:
    """Push messages for every push the sample tasks name (synthesized: the samples have none for
    them), the sample hg push (its URL moved to HG_URL) and the sample GitHub push and PR."""
    messages: list[PulseMessage] = []
    tasks = sample_read("taskcluster_tasks")
    pushes: dict[tuple[str, int], str] = {}
    for task in tasks.values():
        for origin in route_origins(task.get("routes", [])):
            if "id" in origin:
                pushes[(origin["project"], origin["id"])] = origin["revision"]
    urls = dict(Repository.objects.filter(name__in={p for p, _ in pushes}).values_list("name", "url"))
    for (project, push_id), revision in sorted(pushes.items()):
        if project not in urls:
            logger.warning("sample push %s/%s: no repository %s to replay it for", project, push_id, project)
            continue
        path = urlsplit(urls[project]).path
        messages.append(
            {
                "exchange": HG_EXCHANGE,
                "routing_key": path.strip("/"),
                "body": {
                    "payload": {
                        "pushlog_pushes": [
                            {
                                "pushid": push_id,
                                "push_full_json_url": f"{hg_url}{path}/json-pushes?version=2&full=1"
                                f"&startID={push_id - 1}&endID={push_id}",
                            }
                        ],
                        "heads": [revision],
                        "repo_url": urls[project],
                    }
                },
            }
        )
    hg = sample_read("hg_push")
    for push in hg["payload"]["pushlog_pushes"]:
        push["push_full_json_url"] = push["push_full_json_url"].replace("https://hg.mozilla.org", hg_url)
    messages.append({"exchange": HG_EXCHANGE, "routing_key": "try", "body": hg})
    for github in sample_read("github_push"):
        messages.append(
            {"exchange": github["exchange"], "routing_key": github["routingKey"], "body": github["payload"]}
        )
    messages.append(
        {
            "exchange": GITHUB_PR_EXCHANGE,
            "routing_key": "primary.mozilla.test_treeherder",
            "body": sample_read("github_pr"),
        }
    )
    return messages


def sample_task_messages() -> list[PulseMessage]:
    return [
        {"exchange": m["exchange"], "routing_key": m["routes"], "body": m["payload"]}
        for _, m in sorted(sample_read("taskcluster_pulse_messages").items())
    ]


def replay_samples(sink: Sink, *, hg_url: str | None = None) -> int:
    pushes = sample_push_messages(hg_url or settings.HG_URL)
    sink.send(pushes)
    tasks = sample_task_messages()
    sink.send(tasks)
    logger.info("replayed %d sample push and %d sample task messages from %s", len(pushes), len(tasks), SAMPLES)
    return len(pushes) + len(tasks)


def synthetic_schedule(
    *, seed: int, pushes: int | None, tasks: int, push_interval: float, step_interval: float, retries: bool = True
) -> Iterator[tuple[float, list[PulseMessage]]]:
    """(offset in seconds, messages) in time order: each push, then its tasks' state steps."""
    heap: list[tuple[float, int, list[PulseMessage]]] = []
    counter = itertools.count()
    push_numbers = itertools.count() if pushes is None else iter(range(pushes))
    next_push = next(push_numbers, None)
    while next_push is not None or heap:
        push_at = next_push * push_interval if next_push is not None else float("inf")
        if heap and heap[0][0] <= push_at:
            offset, _, messages = heapq.heappop(heap)
            yield offset, messages
            continue
        assert next_push is not None
        yield (
            push_at,
            [
                {
                    "exchange": HG_EXCHANGE,
                    "routing_key": synthetic.REPOSITORY_PATH,
                    "body": synthetic.hg_push_message(seed, next_push, settings.HG_URL),
                }
            ],
        )
        for task in range(tasks):
            plan = synthetic.TaskPlan(seed, next_push, task, retries=retries)
            jitter = (task % 10) * step_interval / 10
            for step, messages in enumerate(synthetic.task_messages(plan), start=1):
                heapq.heappush(heap, (push_at + step * step_interval + jitter, next(counter), messages))
        next_push = next(push_numbers, None)


def replay_synthetic(
    sink: Sink,
    *,
    seed: int,
    pushes: int | None,
    tasks: int,
    push_interval: float,
    step_interval: float,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Publish the synthetic stream in real time (offsets from now). Returns messages sent."""
    started = time.monotonic()
    sent = 0
    for offset, messages in synthetic_schedule(
        seed=seed, pushes=pushes, tasks=tasks, push_interval=push_interval, step_interval=step_interval
    ):
        while (delay := started + offset - time.monotonic()) > 0:
            if stop():
                return sent
            time.sleep(min(delay, 0.5))
        sink.send(messages)
        sent += len(messages)
    return sent
