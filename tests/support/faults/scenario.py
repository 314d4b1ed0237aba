"""One fault during one stream: run it, wait until it settles, check it (`checks`), report."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import close_old_connections

from apps.jobs.models import Job
from apps.live.models import Event
from tests.support.faults.checks import (
    delivery_problems,
    head,
    readiness_problems,
    recovery_figures,
    stored_problems,
    stream_settled,
)
from tests.support.faults.observers import HealthMonitor, Subscriber
from tests.support.faults.stack import FaultStack, wait
from tests.support.faults.stream import Publisher, StreamPlan, job_guid
from tests.support.workers import TcpProxy

if TYPE_CHECKING:
    from tests.support.faults.catalog import Fault


@dataclass
class Scenario:
    """What a fault function gets: the stack, the stream's observers, and marks for the outage."""

    stack: FaultStack
    plan: StreamPlan
    publisher: Publisher
    subscriber: Subscriber
    monitor: HealthMonitor
    started: float = field(default_factory=time.monotonic)
    fault_started: float = 0.0
    fault_ended: float = 0.0
    stored_at_fault: int = 0  # the stream's jobs stored when the fault began: it landed mid-stream
    notes: list[str] = field(default_factory=list)  # what the fault saw, for the report

    def wait_for_jobs(self, count: int = 1, timeout: float = 120) -> None:
        """Until `count` of the stream's jobs are stored: the fault then lands mid-stream."""

        def stored() -> bool:
            close_old_connections()
            return Job.objects.filter(push__revision__in=self.plan.revisions()).count() >= count

        wait(stored, timeout=timeout, what=f"{count} jobs of the stream", logs=self.stack.logs)

    def fault(self) -> None:
        self.fault_started = time.monotonic()
        close_old_connections()
        self.stored_at_fault = Job.objects.filter(push__revision__in=self.plan.revisions()).count()

    def recovered(self) -> None:
        """The fault is over: the service is back, the process restarted."""
        self.fault_ended = time.monotonic()


@dataclass
class Report:
    name: str
    published: int
    jobs: int
    stored_at_fault: int
    events: int
    fault_seconds: float
    figures: dict[str, float | None]
    problems: list[str]
    closes: list[Any]
    notes: list[str]

    def line(self) -> str:
        figures = ", ".join(f"{k} {'-' if v is None else f'{v:.1f} s'}" for k, v in self.figures.items())
        return (
            f"{self.name}: fault {self.fault_seconds:.1f} s, {self.stored_at_fault}/{self.jobs} jobs stored as it "
            f"began; {self.published} messages, {self.events} events delivered; recovered in: {figures}"
            + "".join(f"; {note}" for note in self.notes)
        )


@dataclass(frozen=True)
class Readiness:
    """What the health endpoints must have shown. `ready_drops`: /healthz/ready failed during the
    fault (the database, or Daphne itself, was gone); otherwise it must have stayed 200 throughout.
    `status_down`: a dependency of /healthz/status that must have been reported down during it."""

    ready_drops: bool = False
    status_down: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return ("/healthz/ready", "/healthz/status") if self.status_down else ("/healthz/ready",)


def run_scenario(
    stack: FaultStack, fault: Fault, plan: StreamPlan, seconds: float, *, hg_url: str, settle_timeout: float = 240
) -> Report:
    """Run `plan` through `stack` with `fault` injected for `seconds`; returns the report (its
    `problems` list the broken promises). The stack is left running with every proxy open."""
    readiness = fault.readiness
    close_old_connections()
    wait(lambda: not Event.objects.filter(seq__isnull=True).exists(), timeout=60, what="a settled outbox",
         logs=stack.logs)  # fmt: skip
    start_cursor = head()
    schedule = plan.schedule(hg_url)
    publisher = Publisher(stack.broker.real, schedule)
    subscriber = Subscriber(stack.url, str(start_cursor))
    expected_jobs = {job_guid(m) for _, step in schedule for m in step} - {None}
    with HealthMonitor(stack.url, readiness.paths) as monitor:
        subscriber.start()
        scenario = Scenario(stack, plan, publisher, subscriber, monitor)
        try:
            wait(lambda: bool(subscriber.subscribed), timeout=30, what="the subscriber", logs=stack.logs)
            publisher.start()
            try:
                fault.inject(scenario, seconds)
            finally:
                stack.restore_all()
            if not scenario.fault_ended:
                scenario.recovered()
            publisher.join(timeout=settle_timeout)
            if publisher.error is not None:
                raise AssertionError(f"publishing failed: {publisher.error!r}")
            settled = wait(
                lambda: stream_settled(plan, len(expected_jobs), subscriber), timeout=settle_timeout,
                what="the stream to be stored, numbered and delivered", logs=stack.logs,
            )  # fmt: skip
            time.sleep(0.5)  # a last look: nothing more (a duplicate) may arrive
        finally:
            publisher.halt.set()  # a scenario that failed half-way must not feed the next one
            subscriber.stop()
    close_old_connections()
    problems = stored_problems(plan, publisher) + delivery_problems(start_cursor, subscriber)
    problems += readiness_problems(scenario, readiness)
    # Recovered by itself: nothing the fault did not kill may have exited (an outage is ridden out).
    problems += [f"{name} exited ({p.process.returncode}) during the scenario" for name, (_, p) in
                 stack.processes.items() if p.process.poll() is not None]  # fmt: skip
    figures = recovery_figures(scenario, settled, readiness)
    return Report(
        name=fault.name,
        published=len(publisher.sent),
        jobs=len(expected_jobs),
        stored_at_fault=scenario.stored_at_fault,
        events=len(subscriber.receipts),
        fault_seconds=scenario.fault_ended - (scenario.fault_started or scenario.fault_ended),
        figures=figures,
        problems=problems,
        closes=_runs([code for _, code in subscriber.closes]),
        notes=scenario.notes,
    )


def _runs(items: list[Any]) -> list[str]:
    """["a", "b", "b"] -> ["a", "b x2"]: a client retrying a refused connection says so once."""
    runs: list[list[Any]] = []
    for item in items:
        if runs and runs[-1][0] == item:
            runs[-1][1] += 1
        else:
            runs.append([item, 1])
    return [f"{item} x{n}" if n > 1 else str(item) for item, n in runs]


@contextlib.contextmanager
def outage(proxy: TcpProxy, scenario: Scenario, seconds: float) -> Iterator[None]:
    """Cut `proxy` for `seconds` (the block runs during the outage), then restore it."""
    proxy.cut()
    scenario.fault()
    try:
        yield
        time.sleep(max(0.0, scenario.fault_started + seconds - time.monotonic()))
    finally:
        proxy.restore()
        scenario.recovered()
