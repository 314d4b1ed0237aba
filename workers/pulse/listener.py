"""Pulse listeners: consume Pulse exchanges and hand messages to Celery, in batches. No database work.

Each listener declares its durable queue `queue/<user>/<name>`, binds the exchanges (which Pulse
owns: bound passively, waiting while one does not exist yet), and loops: collect up to
INGEST_BATCH_SIZE messages or whatever arrived within INGEST_BATCH_WAIT seconds, enqueue them as one
Celery task (publisher confirms: the call returns once RabbitMQ has it), then ack them all. A crash
between the two redelivers the batch, which ingestion absorbs (it is idempotent).

A message the listener cannot pass on is logged once, counted (`pulse_malformed_messages{listener,
reason}`) and acked: `undecodable` (not JSON, invalid UTF-8, a content type other than JSON, nesting
past what the decoder takes, kombu's type markers), `too_large` (over MAX_BODY_BYTES), `too_deep`
(nested past MAX_BODY_DEPTH). Batches are cut at BATCH_MAX_BYTES as well as INGEST_BATCH_SIZE.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amqp import exceptions as amqp_exceptions
from amqp.exceptions import NotFound
from django.conf import settings
from kombu import Connection, Consumer, Exchange, Message, Queue, binding
from kombu import exceptions as kombu_exceptions

from apps.core.metrics import metrics_incr
from apps.core.pulse import PulseEnvelope
from apps.jobs.services.taskcluster import TASK_EXCHANGES
from apps.pushes.services.loaders import PUSH_EXCHANGES
from config.celery import app as celery_app
from workers.tasks import NO_TIME_LIMITS_IN_MESSAGE, PUSHES_QUEUE, STORE_PUSHES, STORE_TASKS, TASKS_QUEUE

logger = logging.getLogger(__name__)

# Broker connection failures, from the Pulse side or from Celery's publish: worth reconnecting for.
RECOVERABLE = (ConnectionError, OSError, amqp_exceptions.ConnectionError, kombu_exceptions.OperationalError)
# AMQP heartbeat negotiated with Pulse, in seconds. The loop calls heartbeat_check() about once a
# second, which sends our heartbeats and notices missing ones from the broker; without it an idle
# listener sends nothing and RabbitMQ drops it after two missed heartbeats.
HEARTBEAT_SECONDS = 60
HEARTBEAT_CHECK_INTERVAL = 1.0

# Bounds on one message, checked before it joins a batch (found by tests/reliability/test_pulse_fuzz.py).
# Real bodies are a few KB (a GitHub push listing 250 commits: about 300 KB) and at most 7 levels deep.
MAX_BODY_BYTES = 1024 * 1024
# MariaDB's JSON functions stop at 32 levels, and a dead letter keeps the envelope around the body:
# a deeper body could never be dead-lettered (its retries would go on for ever). Deeper still, the
# worker's JSON decoder (Python's C recursion limit, about 1,500 levels) would refuse the whole
# Celery message, valid messages of its batch included.
MAX_BODY_DEPTH = 24
# A batch's Celery message stays far below RabbitMQ's max_message_size (16 MiB since RabbitMQ 4.0)
# even when re-encoding as ASCII JSON triples it; without this, 100 large bodies make one message
# the broker refuses, and the listener would reconnect and get the same batch again, for ever.
BATCH_MAX_BYTES = 2 * 1024 * 1024


def body_bytes(message: Message) -> int:
    """The size of a message's body on the wire, in bytes. py-amqp decodes a body that names a
    content encoding into a str before kombu sees it, so len() of it counts characters: a body of
    1.1 MB of four-byte characters measured some 275,000 and slipped past MAX_BODY_BYTES (found by
    bench/pulse_fuzz's 10,000 messages)."""
    body = message.body
    if isinstance(body, str):
        return len(body.encode(message.content_encoding or "utf-8", "surrogatepass"))
    return len(body or b"")


@dataclass(frozen=True)
class ListenerSpec:
    name: str  # the queue suffix
    bindings: tuple[tuple[str, str], ...]  # (exchange, routing key)
    task: str
    celery_queue: str


TASKS = ListenerSpec(
    name="tasks", bindings=tuple((ex, "#") for ex in TASK_EXCHANGES), task=STORE_TASKS, celery_queue=TASKS_QUEUE
)
PUSHES = ListenerSpec(
    name="resultsets", bindings=tuple((ex, "#") for ex in PUSH_EXCHANGES), task=STORE_PUSHES, celery_queue=PUSHES_QUEUE
)


def queue_name(spec: ListenerSpec) -> str:
    return f"queue/{settings.PULSE_QUEUE_OWNER}/{spec.name}"


def pulse_queue(spec: ListenerSpec, *, passive_exchanges: bool = True) -> Queue:
    return Queue(
        queue_name(spec),
        durable=True,
        auto_delete=False,
        bindings=[
            binding(Exchange(exchange, type="topic", durable=True, passive=passive_exchanges), routing_key=key)
            for exchange, key in spec.bindings
        ],
    )


JSON_SCALARS = (str, int, float, bool, type(None))


def body_problem(value: Any, max_depth: int) -> tuple[str, str] | None:
    """(reason, detail) if a decoded body is not plain JSON within `max_depth` levels, else None.

    Not plain JSON: kombu's decoder turns {"__type__": ..., "__value__": ...} objects into datetimes,
    UUIDs, bytes..., which a dead letter's JSON column could not store. Iterative: a recursive walk
    would itself hit the recursion limit on the bodies this is for."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        elif isinstance(item, JSON_SCALARS):
            continue
        else:
            return "undecodable", f"a value that is not JSON ({type(item).__name__}, from kombu's type markers)"
        if depth >= max_depth:
            return "too_deep", f"a body nested deeper than {max_depth} levels"
        stack.extend((child, depth + 1) for child in children)
    return None


def _published_at(message: Message) -> float | None:
    """The AMQP timestamp property (py-amqp gives a datetime; other transports a number), if any."""
    value: Any = message.properties.get("timestamp")
    if isinstance(value, datetime.datetime):  # naive means UTC (AMQP timestamps are epoch seconds)
        return (value if value.tzinfo else value.replace(tzinfo=datetime.UTC)).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


class PulseListener:
    def __init__(
        self,
        spec: ListenerSpec,
        *,
        pulse_url: str | None = None,
        root_url: str | None = None,
        batch_size: int | None = None,
        batch_wait: float | None = None,
        enqueue: Callable[[str, str, list[PulseEnvelope]], None] | None = None,
        heartbeat: int = HEARTBEAT_SECONDS,
    ) -> None:
        self.spec = spec
        self.pulse_url = pulse_url or settings.PULSE_URL
        self.root_url = root_url or settings.TASKCLUSTER_ROOT_URL
        self.batch_size = batch_size or settings.INGEST_BATCH_SIZE
        self.batch_wait = batch_wait if batch_wait is not None else settings.INGEST_BATCH_WAIT
        self.enqueue = enqueue or self._celery_enqueue
        self.stop_event = threading.Event()
        self.buffer: list[tuple[Any, Message]] = []
        self.buffer_bytes = 0
        self.enqueued_messages = 0
        self.heartbeat = heartbeat
        self.reconnects = 0

    @staticmethod
    def _celery_enqueue(task: str, queue: str, messages: list[PulseEnvelope]) -> None:
        celery_app.send_task(task, args=[messages], queue=queue, **NO_TIME_LIMITS_IN_MESSAGE)

    def _on_message(self, body: Any, message: Message) -> None:
        size = body_bytes(message)
        if size > MAX_BODY_BYTES:
            self._reject(message, "too_large", f"a body of {size} bytes (the limit is {MAX_BODY_BYTES})")
            return
        if message.content_type != "application/json":
            # kombu hands over application/data and application/text bodies undecoded (bytes, str).
            self._reject(message, "undecodable", f"content type {message.content_type!r}, not application/json")
            return
        problem = body_problem(body, MAX_BODY_DEPTH)
        if problem is not None:
            self._reject(message, *problem)
            return
        if self.buffer and self.buffer_bytes + size > BATCH_MAX_BYTES:
            self.flush()
        self.buffer.append((body, message))
        self.buffer_bytes += size

    def _on_decode_error(self, message: Message, exc: Exception) -> None:
        self._reject(message, "undecodable", str(exc)[:200])

    def _reject(self, message: Message, reason: str, detail: str) -> None:
        info = message.delivery_info
        logger.warning(
            "Pulse message rejected (%s): %s [exchange %s, routing key %s]",
            reason,
            detail,
            info.get("exchange"),
            info.get("routing_key"),
        )
        metrics_incr("pulse_malformed_messages", listener=self.spec.name, reason=reason)
        message.ack()

    def flush(self) -> None:
        """Enqueue the buffered messages as one Celery task, then ack them."""
        if not self.buffer:
            return
        batch = [
            PulseEnvelope(
                body=body,
                exchange=message.delivery_info.get("exchange", ""),
                routing_key=message.delivery_info.get("routing_key", ""),
                root_url=self.root_url,
                # For the ingest-lag histogram: Pulse's publish time when the message carries one.
                published_at=_published_at(message),
                received_at=time.time(),
            )
            for body, message in self.buffer
        ]
        self.enqueue(self.spec.task, self.spec.celery_queue, batch)
        # One ack for the whole batch: every earlier delivery on this channel is in it (or was acked
        # already, if its body was malformed), and one frame instead of hundreds saves RabbitMQ work.
        self.buffer[-1][1].ack(multiple=True)
        self.enqueued_messages += len(batch)
        self.buffer = []
        self.buffer_bytes = 0

    def _bind_queue(self, connection: Connection) -> Queue:
        """Declare the queue and bind it, waiting for exchanges Pulse has not created yet."""
        while not self.stop_event.is_set():
            channel = connection.channel()
            queue = pulse_queue(self.spec)(channel)
            try:
                queue.declare()
                return queue
            except NotFound as exc:
                logger.warning("listener %s: %s; waiting for the exchange to exist", self.spec.name, exc)
                self.stop_event.wait(2)
        raise SystemExit(0)

    def run(self, *, max_messages: int | None = None) -> None:
        """Consume until stopped (SIGTERM/SIGINT or `stop_event`), or after `max_messages`.

        A lost connection (to Pulse, or to the Celery broker while enqueueing) is logged and
        re-established; the unacked messages of the batch in hand are redelivered by Pulse.
        """
        while not self.stop_event.is_set():
            try:
                self._consume(max_messages=max_messages)
                return
            except RECOVERABLE as exc:
                logger.warning(
                    "listener %s lost a connection (%s: %s); reconnecting", self.spec.name, type(exc).__name__, exc
                )
                self.buffer = []
                self.buffer_bytes = 0
                self.reconnects += 1
                metrics_incr("pulse_listener_reconnects", listener=self.spec.name)
                self.stop_event.wait(2)

    def _consume(self, *, max_messages: int | None) -> None:
        with Connection(self.pulse_url, heartbeat=self.heartbeat) as connection:
            connection.ensure_connection(max_retries=30, interval_start=1, interval_step=1, interval_max=5)
            queue = self._bind_queue(connection)
            logger.info("listener %s consuming %s (%d bindings)", self.spec.name, queue.name, len(self.spec.bindings))
            consumer = Consumer(
                queue.channel,
                queues=[queue],
                callbacks=[self._on_message],
                on_decode_error=self._on_decode_error,
                accept=["json"],
                prefetch_count=settings.PULSE_PREFETCH,
            )
            with consumer:
                deadline = time.monotonic() + self.batch_wait
                next_heartbeat_check = time.monotonic()
                while not self.stop_event.is_set():
                    if time.monotonic() >= next_heartbeat_check:
                        connection.heartbeat_check()
                        next_heartbeat_check = time.monotonic() + HEARTBEAT_CHECK_INTERVAL
                    wait = min(deadline, next_heartbeat_check) - time.monotonic()
                    with contextlib.suppress(TimeoutError):
                        connection.drain_events(timeout=max(0.005, wait))
                    if len(self.buffer) >= self.batch_size or time.monotonic() >= deadline:
                        self.flush()
                        deadline = time.monotonic() + self.batch_wait
                    if max_messages is not None and self.enqueued_messages >= max_messages:
                        break
                self.flush()

    def install_signal_handlers(self) -> None:
        def stop(signum: int, frame: Any) -> None:
            logger.info("listener %s stopping (signal %d)", self.spec.name, signum)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
