"""The synthetic stream a scenario publishes (devtools.synthetic), and what was sent."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import slugid
from django.test import override_settings

from devtools import synthetic
from devtools.replay import PulseMessage, PulsePublisher, synthetic_schedule

_last_seed = 0


@dataclass(frozen=True)
class StreamPlan:
    """A synthetic stream to autoland. Its seed is fresh (ids never collide with an earlier stream)
    and has no canceled or superseded task, so every task ends as completed jobs: its runs."""

    seed: int
    pushes: int
    tasks: int
    push_interval: float
    step_interval: float

    @classmethod
    def new(cls, *, pushes: int, tasks: int, push_interval: float, step_interval: float) -> StreamPlan:
        global _last_seed
        seed = max(int(time.time()), _last_seed + 1)
        while {"canceled", "superseded"} & {
            synthetic.TaskPlan(seed, p, t).outcome for p in range(pushes) for t in range(tasks)
        }:
            seed += 1
        _last_seed = seed
        return cls(seed, pushes, tasks, push_interval, step_interval)

    def schedule(self, hg_url: str) -> list[tuple[float, list[PulseMessage]]]:
        with override_settings(HG_URL=hg_url):  # the push messages name the pushlog's URL
            return list(
                synthetic_schedule(
                    seed=self.seed,
                    pushes=self.pushes,
                    tasks=self.tasks,
                    push_interval=self.push_interval,
                    step_interval=self.step_interval,
                )
            )

    def revisions(self) -> set[str]:
        return {synthetic.revision(self.seed, p) for p in range(self.pushes)}


def job_guid(message: PulseMessage) -> str | None:
    """The job a Taskcluster message is about (taskId as a UUID, and the run), or None for a push."""
    body = message["body"]
    if "status" not in body:
        return None
    return f"{slugid.decode(body['status']['taskId'])}/{body['runId']}"


class Publisher(threading.Thread):
    """Publishes a plan's schedule in real time, straight to RabbitMQ (it is Pulse: it stays up when
    the stack's broker connection is cut), recording what was sent."""

    def __init__(self, pulse_url: str, schedule: list[tuple[float, list[PulseMessage]]]) -> None:
        super().__init__(daemon=True)
        self.pulse_url = pulse_url
        self.schedule = schedule
        self.sent: list[PulseMessage] = []
        self.finished_at = 0.0
        self.error: BaseException | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            publisher = PulsePublisher(self.pulse_url, declare_listener_queues=False)
            started = time.monotonic()
            try:
                for offset, messages in self.schedule:
                    if self.halt.wait(max(0.0, started + offset - time.monotonic())):
                        return
                    publisher.send(messages)
                    self.sent.extend(messages)
            finally:
                publisher.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the scenario
            self.error = exc
        self.finished_at = time.monotonic()

    def guids(self) -> set[str]:
        return {guid for message in self.sent if (guid := job_guid(message))}

    def revisions(self) -> set[str]:
        return {m["body"]["payload"]["heads"][0] for m in self.sent if "payload" in m["body"]}
