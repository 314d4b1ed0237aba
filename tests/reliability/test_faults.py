"""Faults injected into a running synthetic stream (issue 15): a worker and the listeners SIGKILLed,
MariaDB, Redis and RabbitMQ cut (through proxies: the shared services stay up), Daphne restarted,
two relays at once. After each: every published message stored exactly once, the resuming
subscriber given exactly the outbox's cursors with their jobs, no outbox row unnumbered, readiness
reporting the outage and recovering. tests/support/faults.py does the work; the times to recover
are printed (`pytest -s`) and recorded as properties, never asserted. bench/reliability runs the
same faults for as long as the issue names (30 s outages).

One stack for the module (starting five processes per test would dominate the run); each test
brings back whatever its fault took down before the next starts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from pytest_django import DjangoDbBlocker

from devtools.replay import PulsePublisher
from devtools.sample_services import SampleServer
from tests.support.faults import FaultStack, Readiness, Report, Scenario, StreamPlan, outage, run_scenario, wait
from tests.support.ingest import make_golden_repositories
from tests.support.processes import test_database_url
from tests.support.workers import purge_queues

pytestmark = [pytest.mark.slow]

CUT_SECONDS = 3.0  # bench/reliability cuts for 20-30 s


@pytest.fixture(scope="module")
def stack(
    module_database: None,
    django_db_blocker: DjangoDbBlocker,
    sample_services: SampleServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FaultStack]:
    broker = os.environ["CELERY_BROKER_URL"]
    with django_db_blocker.unblock():
        make_golden_repositories()
        database = test_database_url()
    purge_queues(broker)
    PulsePublisher(os.environ["PULSE_URL"], declare_listener_queues=False).close()  # the exchanges listeners bind
    env = {
        "TASKCLUSTER_ROOT_URL": sample_services.url,
        "HG_URL": sample_services.url,
        "GITHUB_API_URL": sample_services.url,
        "INGEST_RETRY_BASE_SECONDS": "0.25",
        "INGEST_MAX_RETRIES": "8",
        "INGEST_REPOSITORY_CACHE_SECONDS": "0",
        "PULSE_QUEUE_USER": f"faults-{os.getpid()}",
    }
    faults = FaultStack(
        tmp_path_factory.mktemp("faults"), env, database_url=database, broker_url=broker,
        redis_url=os.environ["REDIS_URL"],
    )  # fmt: skip
    try:
        faults.start_all()
        yield faults
    finally:
        faults.close()
        purge_queues(broker)
        with django_db_blocker.unblock():
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def scenario(
    stack: FaultStack,
    django_db_blocker: DjangoDbBlocker,
    sample_services: SampleServer,
    record_property: Callable[[str, object], None],
) -> Iterator[Callable[..., Report]]:
    """Runs a fault on a small stream (about 50 messages over a few seconds) and prints its figures."""
    stack.restore_all()
    for kind in FaultStack.KINDS:
        if kind not in stack.processes:
            stack.start(kind)
    stack.wait_ready()

    def run(name: str, fault: Callable[[Scenario], None], readiness: Readiness = Readiness()) -> Report:
        plan = StreamPlan.new(pushes=2, tasks=6, push_interval=1.0, step_interval=0.6)
        report = run_scenario(stack, name, plan, fault, hg_url=sample_services.url, readiness=readiness)
        print(f"\n{report.line()}; closes seen by the subscriber: {report.closes}")
        for figure, seconds in report.figures.items():
            record_property(f"recovery {figure} s", seconds)
        return report

    with django_db_blocker.unblock():
        yield run
    for name in [n for n in stack.processes if n not in FaultStack.KINDS]:
        stack.stop(name)


def test_worker_sigkilled_mid_batch(stack: FaultStack, scenario: Callable[..., Report]) -> None:
    def fault(s: Scenario) -> None:
        s.wait_for_jobs(1)  # the worker is inside the stream: it holds prefetched, unacked batches
        s.fault()
        stack.kill("worker")
        stack.start("worker")
        s.recovered()

    report = scenario("worker SIGKILL", fault)
    assert report.problems == []


def test_listeners_sigkilled(stack: FaultStack, scenario: Callable[..., Report]) -> None:
    def fault(s: Scenario) -> None:
        s.wait_for_jobs(1)
        s.fault()
        stack.kill("listener_tasks")  # with a batch in hand, enqueued or not, never acked
        stack.kill("listener_pushes")
        time.sleep(1.0)  # messages published meanwhile wait in the durable Pulse queues
        stack.start("listener_tasks")
        stack.start("listener_pushes")
        s.recovered()

    report = scenario("listeners SIGKILL", fault)
    assert report.problems == []


def test_mariadb_cut(stack: FaultStack, scenario: Callable[..., Report]) -> None:
    def fault(s: Scenario) -> None:
        s.wait_for_jobs(1)
        with outage(stack.database.proxy, s, CUT_SECONDS):
            pass  # web, relay and worker all lose the database; the publisher goes on

    report = scenario("MariaDB cut", fault, Readiness(ready_drops=True))
    assert report.problems == []


def test_redis_killed(stack: FaultStack, scenario: Callable[..., Report]) -> None:
    def fault(s: Scenario) -> None:
        s.wait_for_jobs(1)
        with outage(stack.redis.proxy, s, CUT_SECONDS):
            # Killed, not only unreachable: it comes back empty (channel-layer groups, the relay's
            # doorbell, the cache). Only this worktree's own Redis database is flushed.
            redis.Redis.from_url(stack.redis.real).flushdb()

    # Readiness stays up by design (the hub reads from the table); the status page says Redis is down.
    report = scenario("Redis killed", fault, Readiness(status_down=("channel_layer", "cache")))
    assert report.problems == []


def test_daphne_restarted(stack: FaultStack, scenario: Callable[..., Report]) -> None:
    def fault(s: Scenario) -> None:
        s.wait_for_jobs(1)
        s.fault()
        stack.stop("web")  # SIGTERM, as a deploy does; the subscriber reconnects with its cursor
        stack.start("web")
        s.recovered()
        wait(lambda: bool(s.subscriber.subscribed[1:]), timeout=60, what="the subscriber to resume", logs=stack.logs)

    report = scenario("Daphne restarted", fault, Readiness(ready_drops=True))
    assert report.problems == []
    assert len(report.closes) >= 1  # it did lose its socket, and resumed


def test_rabbitmq_cut(stack: FaultStack, scenario: Callable[..., Report]) -> None:
    def fault(s: Scenario) -> None:
        s.wait_for_jobs(1)
        with outage(stack.broker.proxy, s, CUT_SECONDS):
            pass  # listeners and worker lose the broker; Pulse (the publisher) keeps publishing

    report = scenario("RabbitMQ cut", fault, Readiness(status_down=("broker",)))
    assert report.problems == []


def test_two_relays(stack: FaultStack, scenario: Callable[..., Report]) -> None:
    def fault(s: Scenario) -> None:
        s.fault()
        stack.start("relay-2", "relay")  # both number the same outbox for the whole stream
        s.wait_for_jobs(s.plan.pushes * s.plan.tasks)
        s.recovered()

    report = scenario("two relays", fault)
    assert report.problems == []
