"""The soak's Pulse traffic: a steady synthetic stream (devtools.synthetic) at a fixed message rate.

replay_pulse --synthetic paces by push and step intervals (a push every 20 s, 30 tasks, 8 s between
states: about 11 msg/s); the soak needs a given rate for as long as it runs and the publish time of
every message, so it schedules the same messages itself and sends them through the same publisher
(devtools.replay.PulsePublisher, with confirms; CONNECTIONS of them at once): a push every
PUSH_INTERVAL seconds with enough tasks that their three messages each (pending, running STEP
later, completed STEP after that; no retries, so each task sends exactly three) add up to the
rate. Task starts are spread evenly over the interval, so the stream is smooth rather than bursts.
"""

from __future__ import annotations

import heapq
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import slugid

from devtools import synthetic
from devtools.replay import PulsePublisher

PUSH_INTERVAL = 10.0
STEP = 10.0
STATES = ("pending", "running", "completed")  # the job state each step's event carries
# The push message goes out this long before its first task, so the push is usually stored first.
PUSH_LEAD = 2.0


def guid(plan: synthetic.TaskPlan) -> str:
    return f"{slugid.decode(plan.task_id)}/0"


def schedule(seed: int, rate: float, start: float, hg_url: str) -> Iterator[tuple[float, str, dict, tuple]]:
    """(due time, kind, message, key) in time order, forever; key is (guid, state) for a task message."""
    tasks = max(1, round(rate * PUSH_INTERVAL / 3))
    heap: list[tuple[float, int, str, dict, tuple]] = []
    order = 0
    push = 0
    while True:
        push_at = start + push * PUSH_INTERVAL
        # Everything due before the next push is in the heap once this push is scheduled.
        message = {
            "exchange": "exchange/hgpushes/v1",
            "routing_key": synthetic.REPOSITORY_PATH,
            "body": synthetic.hg_push_message(seed, push, hg_url),
        }
        heapq.heappush(heap, (push_at, order, "push", message, ()))
        order += 1
        for task in range(tasks):
            plan = synthetic.TaskPlan(seed, push, task, retries=False)
            first = push_at + PUSH_LEAD + task * PUSH_INTERVAL / tasks
            for step, messages in enumerate(synthetic.task_messages(plan)):
                heapq.heappush(heap, (first + step * STEP, order, "task", messages[0], (guid(plan), STATES[step])))
                order += 1
        next_push = start + (push + 1) * PUSH_INTERVAL
        while heap and heap[0][0] < next_push:
            due, _, kind, message, key = heapq.heappop(heap)
            yield due, kind, message, key
        push += 1


# Publisher connections working at once. Each waits for RabbitMQ's confirm of every message (a
# persistent message to a durable queue is confirmed once it is on disk): measured on this machine,
# quiet, one connection confirms about 670 messages a second (1.5 ms each), and under the soak's
# load one connection fell to 96-131 msg/s, so the offered rate was not offered. Several in flight
# keep the confirms (a message the broker did not take fails the run) without that ceiling.
CONNECTIONS = 4


@dataclass
class Publisher:
    """Publishes the stream from threads until stopped; records each task message's publish time.

    One thread follows the schedule and hands each message, when due, to one of CONNECTIONS sender
    threads, chosen by the message's task (or push), so a task's messages keep their order.
    """

    seed: int
    rate: float
    hg_url: str
    connections: int = CONNECTIONS
    published: dict[tuple[str, str], float] = field(default_factory=dict)
    pushes: int = 0
    lag: list[float] = field(default_factory=list)  # seconds behind schedule, one per message
    error: BaseException | None = None
    started: float = 0.0
    stopped: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _queues: list[queue.SimpleQueue[tuple[float, str, dict, tuple] | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        # The first sender declares the listeners' queues before anything is published.
        sinks = [PulsePublisher(declare_listener_queues=n == 0) for n in range(self.connections)]
        self._queues = [queue.SimpleQueue() for _ in sinks]
        for n, sink in enumerate(sinks):
            thread = threading.Thread(
                target=self._send, args=(sink, self._queues[n]), name=f"soak-sender-{n}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        schedule_thread = threading.Thread(target=self._schedule, name="soak-publisher", daemon=True)
        schedule_thread.start()
        self._threads.insert(0, schedule_thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    @property
    def messages(self) -> int:
        return len(self.published) + self.pushes

    def _schedule(self) -> None:
        try:
            self.started = time.time()
            for due, kind, message, key in schedule(self.seed, self.rate, self.started, self.hg_url):
                if self._stop.is_set():
                    break
                delay = due - time.time()
                if delay > 0 and self._stop.wait(delay):
                    break
                lane = hash(key[0]) % len(self._queues) if key else 0  # pushes: lane 0
                self._queues[lane].put((due, kind, message, key))
        except BaseException as exc:  # noqa: BLE001 - reported by the driver, which fails the run
            self.error = exc
        finally:
            self.stopped = time.time()
            for lane in self._queues:
                lane.put(None)

    def _send(self, sink: PulsePublisher, lane: queue.SimpleQueue[tuple[float, str, dict, tuple] | None]) -> None:
        try:
            while (item := lane.get()) is not None:
                due, kind, message, key = item
                sink.send([message])
                now = time.time()
                with self._lock:
                    self.lag.append(max(0.0, now - due))
                    if kind == "push":
                        self.pushes += 1
                    else:
                        self.published[key] = now
        except BaseException as exc:  # noqa: BLE001 - reported by the driver, which fails the run
            self.error = exc
            self._stop.set()
        finally:
            sink.close()
