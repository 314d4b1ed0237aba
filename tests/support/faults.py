"""Fault injection during a synthetic stream (tests/reliability/test_faults.py, bench/reliability).

`FaultStack` runs the pipeline's processes (Daphne, the relay, two Celery ingestion workers, both
Pulse listeners) with MariaDB, RabbitMQ and Redis each reached through a `TcpProxy` the caller
controls, so an outage is a proxy cut and the shared services stay up. Pulse itself (the publisher,
standing for Taskcluster and hg) and the checks reach the services directly: what the stack cannot
see, the outside world still publishes.

`run_scenario` publishes a synthetic stream (devtools.synthetic), keeps a subscriber that resumes
with its last cursor whenever its socket drops, polls /healthz/ready (and /healthz/status), runs a
fault while the stream flows, waits until everything is stored, numbered and delivered, then checks
the promise of issue 15: every published message stored exactly once, the subscriber given exactly
the outbox's cursors (no gap, no duplicate, each with its job), no outbox row unnumbered, and
readiness reporting the outage while it lasted and recovering after. The times to recover are
measured and returned (tests print them; the bench reports them); nothing asserts on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import requests
import slugid
import websockets
from django.db import close_old_connections
from django.test import override_settings

from apps.jobs.models import Job
from apps.live.models import Event
from apps.pushes.models import Push
from apps.repositories.models import Repository
from devtools import synthetic
from devtools.replay import PulseMessage, PulsePublisher, synthetic_schedule
from tests.support.processes import VENV_BIN, free_port
from tests.support.workers import (
    Process,
    TcpProxy,
    celery_worker_args,
    delete_queue,
    manage,
    queue_has_consumer,
    run_process,
)
from tests.support.ws import GraphQLWS

JOB_CHANGED = """
subscription ($after: String) {
  jobChanged(repository: "autoland", after: $after) { cursor changed job { guid state } }
}
"""


# --- the stack -------------------------------------------------------------------------------------


@dataclass
class Proxied:
    """A service URL and the same URL through a proxy the caller cuts and restores."""

    real: str
    proxy: TcpProxy
    url: str

    @classmethod
    def of(cls, url: str) -> Proxied:
        parts = urlsplit(url)
        proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or _DEFAULT_PORTS[parts.scheme]))
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return cls(real=url, proxy=proxy, url=urlunsplit(parts._replace(netloc=f"{userinfo}127.0.0.1:{proxy.port}")))


_DEFAULT_PORTS = {"mysql": 3306, "redis": 6379, "amqp": 5672}


def _daphne_args(port: int) -> list[str]:
    return [str(VENV_BIN / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]


class FaultStack:
    """The pipeline's processes, each service behind a proxy; processes by name, started and killed
    at will (`kind` is one of KINDS; a name may be anything, so two relays can run at once)."""

    KINDS = ("web", "relay", "worker", "listener_tasks", "listener_pushes")
    # Two ingestion workers, as production runs several: a killed one's batches go to the other.
    STARTED = ("web", "relay", "worker", "worker-2", "listener_tasks", "listener_pushes")

    def __init__(
        self,
        tmp_path: Path,
        env: Mapping[str, str],
        *,
        database_url: str,
        broker_url: str,
        redis_url: str,
    ) -> None:
        self.tmp_path = tmp_path
        self.database = Proxied.of(database_url)
        self.broker = Proxied.of(broker_url)
        self.redis = Proxied.of(redis_url)
        self.port = free_port()  # kept across restarts: a restarted Daphne answers at the same URL
        self.url = f"http://127.0.0.1:{self.port}"
        self.pulse_owner = env["PULSE_QUEUE_USER"]
        self.env = {
            **env,
            "DATABASE_URL": self.database.url,
            "CELERY_BROKER_URL": self.broker.url,
            "PULSE_URL": self.broker.url,
            "REDIS_URL": self.redis.url,
        }
        self.processes: dict[str, tuple[contextlib.ExitStack, Process]] = {}
        self.ended: list[tuple[str, Process]] = []  # killed or stopped, for their logs
        self._starts = itertools.count()

    def _argv(self, kind: str) -> list[str]:
        if kind == "web":
            return _daphne_args(self.port)
        if kind == "worker":
            return celery_worker_args(f"faults-{next(self._starts)}")
        if kind == "relay":
            return manage("live_relay")
        return manage(f"pulse_{kind}")

    def start(self, name: str, kind: str | None = None) -> Process:
        assert name not in self.processes, f"{name} is already running"
        stack = contextlib.ExitStack()
        kind = kind or name.split("-")[0]
        process = stack.enter_context(run_process(self._argv(kind), self.tmp_path, name, self.env))
        self.processes[name] = (stack, process)
        return process

    def start_all(self) -> None:
        """Start whatever of STARTED is not running, and wait until the stack consumes."""
        for name in self.STARTED:
            if name not in self.processes:
                self.start(name)
        self.wait_ready()

    def kill(self, name: str) -> None:
        """SIGKILL (the process and its children): a crash, nothing cleaned up."""
        stack, process = self.processes.pop(name)
        process.kill()
        stack.close()
        self.ended.append((name, process))

    def stop(self, name: str, grace: float = 15.0) -> float | None:
        """SIGTERM, as an orchestrator stops a process, then SIGKILL after `grace` seconds. Returns
        how long it took to exit, or None when it had to be killed."""
        stack, process = self.processes.pop(name)
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.process.pid, signal.SIGTERM)
        try:
            process.process.wait(timeout=grace)
            took: float | None = time.monotonic() - started
        except subprocess.TimeoutExpired:
            process.kill()
            took = None
        stack.close()
        self.ended.append((name, process))
        return took

    def wait_ready(self, timeout: float = 90) -> None:
        """Daphne answers, both listeners and the worker consume (checked on the real broker)."""
        real = self.broker.real
        queues = [f"queue/{self.pulse_owner}/tasks", f"queue/{self.pulse_owner}/resultsets"]
        wait(lambda: _answers(f"{self.url}/healthz/live"), timeout=timeout, what="Daphne", logs=self.logs)
        for queue in [*queues, "store_pulse_tasks", "store_pulse_pushes"]:
            wait(partial(queue_has_consumer, real, queue), timeout=timeout, what=f"a consumer on {queue}",
                 logs=self.logs)  # fmt: skip

    def logs(self) -> str:
        running = [(name, p) for name, (_, p) in self.processes.items()]
        return "\n".join(f"--- {name}\n{p.log()[-2500:]}" for name, p in [*self.ended[-3:], *running])

    def restore_all(self) -> None:
        """Every proxy open again (a scenario that failed half-way leaves none cut)."""
        for service in (self.database, self.broker, self.redis):
            if service.proxy._server is None:
                service.proxy.restore()

    def stop_extra(self) -> None:
        """Stop what a fault added (a second relay)."""
        for name in [n for n in self.processes if n not in self.STARTED]:
            self.stop(name)

    def close(self) -> None:
        for _, process in self.processes.values():  # SIGTERM to all first: they stop in parallel
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.process.pid, signal.SIGTERM)
        for name in list(self.processes):
            self.stop(name)
        for service in (self.database, self.broker, self.redis):
            service.proxy.cut()


def delete_pulse_queues(pulse_url: str, owner: str) -> None:
    """The listeners' durable queues (`queue/<owner>/...`): gone with the stack, or they would keep
    receiving a copy of every later Pulse message in the vhost."""
    for name in ("tasks", "resultsets"):
        with contextlib.suppress(Exception):  # never declared: nothing to delete
            delete_queue(pulse_url, f"queue/{owner}/{name}")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait(condition: Callable[[], bool], *, timeout: float, what: str, logs: Callable[[], str] = str) -> float:
    """Poll until `condition()`; returns when it held (time.monotonic()). The limit only keeps a
    broken stack from hanging the run: it is not a timing assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()[-9000:]}")
        time.sleep(0.2)
    return time.monotonic()


# --- the stream ------------------------------------------------------------------------------------

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


# --- the observers ---------------------------------------------------------------------------------


@dataclass
class Receipt:
    at: float
    cursor: str | None
    guid: str | None
    errors: Any = None


class Subscriber(threading.Thread):
    """A client of jobChanged(autoland) that, whenever its socket or its subscription ends, connects
    again and resumes from the last cursor it received, as docs/live.md tells clients to."""

    def __init__(self, base_url: str, after: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.cursor = after
        self.receipts: list[Receipt] = []
        self.subscribed: list[float] = []  # each (re)subscription's time
        self.closes: list[tuple[float, Any]] = []  # why each connection ended
        self._halt = threading.Event()

    def run(self) -> None:
        asyncio.run(self._main())

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=15)

    async def _main(self) -> None:
        while not self._halt.is_set():
            try:
                await self._session()
            except websockets.ConnectionClosed as exc:
                self.closes.append((time.monotonic(), exc.rcvd.code if exc.rcvd else "no close frame"))
            except (OSError, TimeoutError, AssertionError, websockets.InvalidHandshake) as exc:
                self.closes.append((time.monotonic(), type(exc).__name__))
            if not self._halt.is_set():
                await asyncio.sleep(0.2)

    async def _session(self) -> None:
        client = await GraphQLWS.connect(self.base_url, open_timeout=5)
        try:
            await client.subscribe("s", JOB_CHANGED, {"after": self.cursor})
            self.subscribed.append(time.monotonic())
            while not self._halt.is_set():
                try:
                    message = await client.receive(timeout=0.5)
                except TimeoutError:
                    continue
                if message["type"] != "next":  # error or complete: subscribe again from the cursor
                    self.closes.append((time.monotonic(), json.dumps(message)[:300]))
                    return
                self._record(message["payload"])
        finally:
            await client.ws.close()

    def _record(self, payload: dict[str, Any]) -> None:
        event = (payload.get("data") or {}).get("jobChanged") or {}
        job = event.get("job") or {}
        receipt = Receipt(time.monotonic(), event.get("cursor"), job.get("guid"), payload.get("errors"))
        self.receipts.append(receipt)
        if receipt.cursor is not None:
            self.cursor = receipt.cursor


@dataclass
class Sample:
    at: float
    status: int | None  # None: no answer (refused, timed out)
    body: dict[str, Any] | None


class HealthMonitor:
    """Polls health endpoints (each in a thread of its own: a check that waits out its timeout
    during an outage must not delay the others)."""

    def __init__(self, base_url: str, paths: tuple[str, ...] = ("/healthz/ready",), every: float = 0.25) -> None:
        self.base_url = base_url
        self.every = every
        self.samples: dict[str, list[Sample]] = {path: [] for path in paths}
        self._halt = threading.Event()
        self._threads = [threading.Thread(target=self._poll, args=(p,), daemon=True) for p in paths]

    def __enter__(self) -> HealthMonitor:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._halt.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _poll(self, path: str) -> None:
        while not self._halt.is_set():
            at = time.monotonic()
            try:
                response = requests.get(self.base_url + path, timeout=5)
                body = (
                    response.json() if response.headers.get("content-type", "").startswith("application/json") else None
                )
                self.samples[path].append(Sample(at, response.status_code, body))
            except (requests.RequestException, ValueError):
                self.samples[path].append(Sample(at, None, None))
            self._halt.wait(self.every)


# --- a scenario ------------------------------------------------------------------------------------


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
    start_cursor = _head()
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
                lambda: _settled(plan, len(expected_jobs), subscriber), timeout=settle_timeout,
                what="the stream to be stored, numbered and delivered", logs=stack.logs,
            )  # fmt: skip
            time.sleep(0.5)  # a last look: nothing more (a duplicate) may arrive
        finally:
            publisher.halt.set()  # a scenario that failed half-way must not feed the next one
            subscriber.stop()
    close_old_connections()
    problems = _stored_problems(plan, publisher) + _delivery_problems(start_cursor, subscriber)
    problems += _readiness_problems(scenario, readiness)
    # Recovered by itself: nothing the fault did not kill may have exited (an outage is ridden out).
    problems += [f"{name} exited ({p.process.returncode}) during the scenario" for name, (_, p) in
                 stack.processes.items() if p.process.poll() is not None]  # fmt: skip
    figures = _figures(scenario, settled, readiness)
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


def _head() -> int:
    close_old_connections()
    return int(Event.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first() or 0)


def _autoland_job_events(after: int) -> list[tuple[int, dict[str, Any]]]:
    repo = Repository.objects.get(name=synthetic.REPOSITORY)
    return list(  # type: ignore[arg-type]  # seq is never NULL past a cursor
        Event.objects.filter(repository_id=repo.id, type="job.changed", seq__gt=after)
        .order_by("seq")
        .values_list("seq", "payload")
    )


def _settled(plan: StreamPlan, jobs: int, subscriber: Subscriber) -> bool:
    close_old_connections()
    stored = Job.objects.filter(push__revision__in=plan.revisions())
    if stored.count() != jobs or stored.exclude(state=Job.State.COMPLETED).exists():
        return False
    if Event.objects.filter(seq__isnull=True).exists():
        return False
    return not _autoland_job_events(int(subscriber.cursor))


def _stored_problems(plan: StreamPlan, publisher: Publisher) -> list[str]:
    problems = []
    pushes = dict(
        Push.objects.filter(repository__name=synthetic.REPOSITORY, revision__in=plan.revisions()).values_list(
            "revision", "id"
        )
    )
    if set(pushes) != publisher.revisions():
        problems.append(f"pushes stored {sorted(pushes)} != published {sorted(publisher.revisions())}")
    jobs = dict(Job.objects.filter(push_id__in=pushes.values()).values_list("guid", "id"))
    if set(jobs) != publisher.guids():
        missing, extra = publisher.guids() - set(jobs), set(jobs) - publisher.guids()
        problems.append(f"jobs stored != published: missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}")
    job_events = list(
        Event.objects.filter(type="job.changed", job_id__in=jobs.values()).values_list("job_id", "payload")
    )
    created = Counter(job_id for job_id, payload in job_events if "created" in payload["changed"])
    twice = {job_id: n for job_id, n in created.items() if n != 1}
    if twice or set(created) != set(jobs.values()):
        problems.append(f"job created events not exactly one per job: {twice or 'some missing'}")
    # A redelivered message re-applied must change nothing: no event may repeat another.
    seen = Counter(json.dumps([job_id, payload], sort_keys=True) for job_id, payload in job_events)
    repeated = [key for key, n in seen.items() if n > 1]
    if repeated:
        problems.append(f"{len(repeated)} job events stored twice, e.g. {repeated[0][:300]}")
    push_created = Counter(
        push_id
        for push_id, payload in Event.objects.filter(type="push.changed", push_id__in=pushes.values()).values_list(
            "push_id", "payload"
        )
        if "created" in payload["changed"]
    )
    if sorted(push_created.values()) != [1] * len(pushes):
        problems.append(f"push created events not exactly one per push: {dict(push_created)}")
    unnumbered = Event.objects.filter(seq__isnull=True).count()
    if unnumbered:
        problems.append(f"{unnumbered} outbox rows left unnumbered")
    return problems


def _delivery_problems(start_cursor: int, subscriber: Subscriber) -> list[str]:
    outbox = _autoland_job_events(start_cursor)
    expected = [str(seq) for seq, _ in outbox]
    received = [r.cursor for r in subscriber.receipts]
    problems = []
    if received != expected:
        dupes = [c for c, n in Counter(received).items() if n > 1]
        gaps = sorted(set(expected) - {str(c) for c in received}, key=int)
        problems.append(
            f"subscriber cursors != outbox cursors: {len(received)} received, {len(expected)} in the outbox, "
            f"duplicates {dupes[:5]}, missing {gaps[:5]}"
        )
    guids = {str(seq): payload["guid"] for seq, payload in outbox}
    for receipt in subscriber.receipts:
        if receipt.errors or receipt.guid is None:
            problems.append(f"cursor {receipt.cursor} delivered without its job: {receipt.errors}")
            break
        if receipt.cursor in guids and guids[receipt.cursor] != receipt.guid:
            problems.append(
                f"cursor {receipt.cursor} delivered job {receipt.guid}, the outbox has {guids[receipt.cursor]}"
            )
            break
    return problems


def _during(samples: list[Sample], scenario: Scenario) -> list[Sample]:
    return [s for s in samples if scenario.fault_started <= s.at <= scenario.fault_ended]


def _status_ok(sample: Sample, dependency: str) -> bool:
    return sample.status is not None and bool((sample.body or {}).get(dependency, {}).get("ok"))


def _readiness_problems(scenario: Scenario, readiness: Readiness) -> list[str]:
    problems = []
    ready = scenario.monitor.samples["/healthz/ready"]
    if not ready or ready[-1].status != 200:
        problems.append(f"not ready at the end: {ready[-1:]}")
    during = _during(ready, scenario)
    if readiness.ready_drops:
        if not any(s.status != 200 for s in during):
            problems.append(f"readiness never reported the outage ({len(during)} probes during it)")
    elif any(s.status != 200 for s in ready):
        problems.append(f"readiness dropped: {[s.status for s in ready if s.status != 200][:5]}")
    status = scenario.monitor.samples.get("/healthz/status", [])
    for dependency in readiness.status_down:
        if not any(not _status_ok(s, dependency) for s in _during(status, scenario)):
            problems.append(f"/healthz/status never reported {dependency} down during the outage")
        if not status or not _status_ok(status[-1], dependency):
            problems.append(f"/healthz/status still reports {dependency} down at the end")
    return problems


def _first_after(samples: list[Sample], after: float, ok: Callable[[Sample], bool]) -> float | None:
    return next((s.at - after for s in samples if s.at >= after and ok(s)), None)


def _figures(scenario: Scenario, settled: float, readiness: Readiness) -> dict[str, float | None]:
    """Seconds from the fault's end (service back, process restarted) until: ready again, each
    dependency reported up again, the subscriber's first event, everything stored and delivered."""
    end = scenario.fault_ended
    figures: dict[str, float | None] = {}
    if readiness.ready_drops:
        figures["ready"] = _first_after(scenario.monitor.samples["/healthz/ready"], end, lambda s: s.status == 200)
    for dependency in readiness.status_down:
        figures[f"{dependency} up"] = _first_after(
            scenario.monitor.samples["/healthz/status"], end, partial(_status_ok, dependency=dependency)
        )
    figures["first event"] = next((r.at - end for r in scenario.subscriber.receipts if r.at >= end), None)
    # Caught up: from whichever came last, the fault's end or the last publish.
    figures["caught up"] = settled - max(end, scenario.publisher.finished_at)
    return figures


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


# --- the faults ------------------------------------------------------------------------------------


_RECEIVED = re.compile(r"Task \S+\[([0-9a-f-]+)\] received")
_ENDED = re.compile(r"Task \S+\[([0-9a-f-]+)\] (?:succeeded|retry|failed|raised)")


def _unfinished_batches(log: str) -> int:
    """Batches (Celery tasks) a worker's log shows received and not finished: held, unacked."""
    return len(set(_RECEIVED.findall(log)) - set(_ENDED.findall(log)))


def _worker_sigkill(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    victim = s.stack.processes["worker"][1]
    with contextlib.suppress(AssertionError):  # a stream too small to catch it so: kill it anyway
        wait(lambda: _unfinished_batches(victim.log()) > 0, timeout=20, what="the worker to hold a batch")
    s.fault()
    s.stack.kill("worker")  # its unacked batches go back to the queue, to worker-2
    s.notes.append(f"the killed worker held {_unfinished_batches(victim.log())} unfinished batches")
    s.recovered()  # the survivor carries on; a supervisor restarts the dead one meanwhile
    if seconds:
        time.sleep(seconds)
        s.stack.start("worker")


def _listeners_sigkill(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    s.fault()
    s.stack.kill("listener_tasks")  # with a batch in hand, enqueued or not: never acked
    s.stack.kill("listener_pushes")
    time.sleep(seconds)  # what is published meanwhile waits in the durable Pulse queues
    s.stack.start("listener_tasks")
    s.stack.start("listener_pushes")
    s.recovered()


def _database_cut(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    with outage(s.stack.database.proxy, s, seconds):
        pass  # web, relay and worker all lose the database; Pulse goes on publishing


# The live group's member set in channels-redis (prefix from config/settings/channels.py).
LIVE_GROUP_KEY = "th-layer:group:live.events"


def _redis_killed(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    client = redis.Redis.from_url(s.stack.redis.real)
    with outage(s.stack.redis.proxy, s, seconds):
        # Killed, not only unreachable: it comes back empty (channel-layer groups, the relay's
        # doorbell, the cache). Only the stack's own Redis database (REDIS_URL's) is flushed.
        client.flushdb()
    # Without its group membership the hub gets nothing on the layer and serves from the table
    # (its tail check): correct, but a second behind. Whether and when it joined again:
    with contextlib.suppress(AssertionError):
        joined = wait(lambda: bool(client.zcard(LIVE_GROUP_KEY)), timeout=15, what="the hub to rejoin")
        s.notes.append(f"the hub rejoined the live group {joined - s.fault_ended:.1f} s after Redis came back")
    if not client.zcard(LIVE_GROUP_KEY):
        s.notes.append("the hub had not rejoined the live group 15 s after Redis came back")


def _daphne_restarted(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    s.fault()
    took = s.stack.stop("web")  # SIGTERM, as a deploy does; the subscriber reconnects with its cursor
    s.notes.append("Daphne did not exit within 15 s of SIGTERM (killed)" if took is None
                   else f"Daphne exited {took:.1f} s after SIGTERM")  # fmt: skip
    time.sleep(seconds)
    s.stack.start("web")
    s.recovered()
    wait(lambda: bool(s.subscriber.subscribed[1:]), timeout=120, what="the subscriber to resume", logs=s.stack.logs)


def _broker_cut(s: Scenario, seconds: float) -> None:
    s.wait_for_jobs(1)
    with outage(s.stack.broker.proxy, s, seconds):
        pass  # listeners and worker lose RabbitMQ; Pulse (the publisher) keeps publishing


def _two_relays(s: Scenario, seconds: float) -> None:
    s.fault()
    s.stack.start("relay-2", "relay")  # both number the same outbox for the whole stream
    s.wait_for_jobs(s.plan.pushes * s.plan.tasks, timeout=300)
    s.stack.stop("relay-2")
    s.recovered()


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[Scenario, float], None]
    readiness: Readiness
    seconds: float  # how long it lasts in bench/reliability (the figures); tests go shorter


WORKER_SIGKILL = Fault("worker SIGKILL", _worker_sigkill, Readiness(), 5.0)
LISTENERS_SIGKILL = Fault("listeners SIGKILL", _listeners_sigkill, Readiness(), 5.0)
DATABASE_CUT = Fault("MariaDB cut", _database_cut, Readiness(ready_drops=True), 30.0)
# Readiness stays up by design when Redis is gone (the hub reads from the table); the status page
# says so.
REDIS_KILLED = Fault("Redis killed", _redis_killed, Readiness(status_down=("channel_layer", "cache")), 30.0)
DAPHNE_RESTARTED = Fault("Daphne restarted", _daphne_restarted, Readiness(ready_drops=True), 5.0)
BROKER_CUT = Fault("RabbitMQ cut", _broker_cut, Readiness(status_down=("broker",)), 20.0)
TWO_RELAYS = Fault("two relays", _two_relays, Readiness(), 0.0)
FAULTS = (WORKER_SIGKILL, LISTENERS_SIGKILL, DATABASE_CUT, REDIS_KILLED, DAPHNE_RESTARTED, BROKER_CUT, TWO_RELAYS)
