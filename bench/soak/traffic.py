"""The soak's Pulse traffic: a steady synthetic stream (devtools.synthetic) at a fixed message rate.

replay_pulse --synthetic paces by push and step intervals (a push every 20 s, 30 tasks, 8 s between
states: about 11 msg/s); the soak needs a given rate for as long as it runs and the publish time of
every message, so it schedules the same messages itself and sends them through the same publisher
(devtools.replay.PulsePublisher, with confirms): a push every PUSH_INTERVAL seconds with enough
tasks that their three messages each (pending, running STEP later, completed STEP after that; no
retries, so each task sends exactly three) add up to the rate. Task starts are spread evenly over
the interval, so the stream is smooth rather than bursts.
"""

from __future__ import annotations

import heapq
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


@dataclass
class Publisher:
    """Publishes the stream from a thread until stopped; records each task message's publish time."""

    seed: int
    rate: float
    hg_url: str
    published: dict[tuple[str, str], float] = field(default_factory=dict)
    pushes: int = 0
    lag: list[float] = field(default_factory=list)  # seconds behind schedule, one per message
    error: BaseException | None = None
    started: float = 0.0
    stopped: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="soak-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    @property
    def messages(self) -> int:
        return len(self.published) + self.pushes

    def _run(self) -> None:
        try:
            sink = PulsePublisher()
            self.started = time.time()
            try:
                for due, kind, message, key in schedule(self.seed, self.rate, self.started, self.hg_url):
                    if self._stop.is_set():
                        break
                    delay = due - time.time()
                    if delay > 0:
                        self._stop.wait(delay)
                        if self._stop.is_set():
                            break
                    sink.send([message])
                    now = time.time()
                    self.lag.append(max(0.0, now - due))
                    if kind == "push":
                        self.pushes += 1
                    else:
                        self.published[key] = now
            finally:
                self.stopped = time.time()
                sink.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the driver, which fails the run
            self.error = exc
