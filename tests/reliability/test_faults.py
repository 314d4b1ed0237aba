"""Faults injected into a running synthetic stream (issue 15): a worker and the listeners SIGKILLed,
MariaDB, Redis and RabbitMQ cut (through proxies: the shared services stay up), Daphne restarted,
two relays at once. After each: every published message stored exactly once, the resuming
subscriber given exactly the outbox's cursors with their jobs, no outbox row unnumbered, readiness
reporting the outage and recovering. tests/support/faults/ does the work; the times to recover
are printed (`pytest -s`) and recorded as properties, never asserted. bench/reliability runs the
same faults for as long as the issue names (30 s outages).

One stack for the module (starting five processes per test would dominate the run); each test
brings back whatever its fault took down before the next starts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from django.core.management import call_command
from pytest_django import DjangoDbBlocker

from devtools.replay import PulsePublisher
from devtools.sample_services import SampleServer
from tests.support import faults
from tests.support.faults import FaultStack, Report, StreamPlan, delete_pulse_queues, run_scenario
from tests.support.ingest import ingestion_env, make_golden_repositories
from tests.support.processes import test_database_url as database_url_of_tests
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
        database = database_url_of_tests()
    purge_queues(broker)
    PulsePublisher(os.environ["PULSE_URL"], declare_listener_queues=False).close()  # the exchanges listeners bind
    env = ingestion_env(sample_services.url, f"faults-{os.getpid()}")
    running = FaultStack(
        tmp_path_factory.mktemp("faults"), env, database_url=database, broker_url=broker,
        redis_url=os.environ["REDIS_URL"],
    )  # fmt: skip
    try:
        running.start_all()
        yield running
    finally:
        running.close()
        purge_queues(broker)
        delete_pulse_queues(os.environ["PULSE_URL"], env["PULSE_QUEUE_USER"])
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def scenario(
    stack: FaultStack,
    django_db_blocker: DjangoDbBlocker,
    sample_services: SampleServer,
    record_property: Callable[[str, object], None],
) -> Iterator[Callable[..., Report]]:
    """Runs a fault on a small stream (about 40 messages over 4 s) and prints its figures."""
    stack.restore_all()
    stack.start_all()  # what the last fault took down

    def run(fault: faults.Fault, seconds: float) -> Report:
        plan = StreamPlan.new(pushes=2, tasks=6, push_interval=1.0, step_interval=0.6)
        report = run_scenario(stack, fault, plan, seconds, hg_url=sample_services.url)
        print(f"\n{report.line()}; closes seen by the subscriber: {report.closes}")
        for figure, value in report.figures.items():
            record_property(f"recovery {figure} s", value)
        return report

    with django_db_blocker.unblock():
        yield run
    stack.stop_extra()


def test_worker_sigkilled_mid_batch(scenario: Callable[..., Report]) -> None:
    assert scenario(faults.WORKER_SIGKILL, 0.0).problems == []


def test_listeners_sigkilled(scenario: Callable[..., Report]) -> None:
    assert scenario(faults.LISTENERS_SIGKILL, 1.0).problems == []


def test_mariadb_cut(scenario: Callable[..., Report]) -> None:
    assert scenario(faults.DATABASE_CUT, CUT_SECONDS).problems == []


def test_redis_killed(scenario: Callable[..., Report]) -> None:
    assert scenario(faults.REDIS_KILLED, CUT_SECONDS).problems == []


def test_daphne_restarted(scenario: Callable[..., Report]) -> None:
    report = scenario(faults.DAPHNE_RESTARTED, 0.0)
    assert report.problems == []
    assert report.closes  # it did lose its socket, and resumed


def test_rabbitmq_cut(scenario: Callable[..., Report]) -> None:
    report = scenario(faults.BROKER_CUT, CUT_SECONDS)
    assert report.problems == []


def test_the_status_page_reports_a_rabbitmq_outage(stack: FaultStack) -> None:
    stack.restore_all()
    stack.start_all()
    assert _broker_ok(stack)  # the status page's pooled broker connection is open
    stack.broker.proxy.cut()
    try:
        reports = [_broker_ok(stack) for _ in range(5)]  # five probes, a second or more apart
    finally:
        stack.broker.proxy.restore()
    assert False in reports, reports


def _broker_ok(stack: FaultStack) -> bool:
    body = requests.get(f"{stack.url}/healthz/status", timeout=10).json()
    time.sleep(1.0)
    return bool(body["broker"]["ok"])


def test_two_relays(scenario: Callable[..., Report]) -> None:
    assert scenario(faults.TWO_RELAYS, 0.0).problems == []
