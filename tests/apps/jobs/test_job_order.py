"""Order and duplicates: for tasks with several runs and states (built from a sample task), every
delivery order, with every message delivered twice, ends in identical rows."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from django.db import transaction

from apps.core.pulse import PulseEnvelope
from apps.jobs.models import Job, JobLog, TaskclusterMetadata
from apps.jobs.services.refdata import refdata_cache_clear
from apps.jobs.services.store import STATE_RANK, PreparedJob, _conditional_upsert_sql, jobs_store
from apps.jobs.services.taskcluster import (
    task_definition_summary,
    task_job_transform,
    task_summary_check,
)
from apps.live.models import Event
from apps.repositories.models import Repository
from tests.support.samples import sample, sample_task_push

pytestmark = pytest.mark.django_db

TASK_ID = "A35mWTRuQmyj88yMnIF0fA"  # a test task (jobKind test) on autoland
QUEUE = "exchange/taskcluster-queue/v1/task-"
ROOT = "https://tc.example.com"


def _run(run_id: int, state: str, **extra: Any) -> dict[str, Any]:
    run = {"runId": run_id, "state": state, "reasonCreated": "scheduled", "scheduled": "2019-06-26T19:36:10.316Z"}
    if state != "pending":
        run.update(workerGroup="us-west-1", workerId=f"i-worker{run_id}", started="2019-06-26T19:37:00.000Z")
    if state in ("completed", "failed", "exception"):
        run["resolved"] = "2019-06-26T19:50:00.000Z"
    run.update(extra)
    return run


def _message(event: str, run_id: int, runs: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    body = copy.deepcopy(sample("taskcluster_pulse_messages")[TASK_ID]["payload"])
    body["runId"] = run_id
    body["status"]["runs"] = runs
    return QUEUE + event, body


def single_run() -> list[tuple[str, dict[str, Any]]]:
    return [
        _message("pending", 0, [_run(0, "pending")]),
        _message("running", 0, [_run(0, "running")]),
        _message("failed", 0, [_run(0, "failed", reasonResolved="failed")]),
    ]


def retried_run() -> list[tuple[str, dict[str, Any]]]:
    """Run 0 dies with the worker (exception) and Taskcluster retries it as run 1, which fails."""
    run0_done = _run(0, "exception", reasonResolved="worker-shutdown")
    return [
        _message("pending", 0, [_run(0, "pending")]),
        _message("running", 0, [_run(0, "running")]),
        _message("exception", 0, [run0_done, _run(1, "pending", reasonCreated="retry")]),
        _message("pending", 1, [run0_done, _run(1, "pending", reasonCreated="retry")]),
        _message("running", 1, [run0_done, _run(1, "running", reasonCreated="retry")]),
        _message("failed", 1, [run0_done, _run(1, "failed", reasonCreated="retry", reasonResolved="failed")]),
    ]


@pytest.fixture
def store(reference_data: None, django_capture_on_commit_callbacks: Any) -> Any:
    refdata_cache_clear()
    repository = Repository.objects.get(name="autoland")
    definition, push = sample_task_push(TASK_ID)
    summary = task_definition_summary(definition)
    origin = task_summary_check(task_id=TASK_ID, summary=summary)

    def deliver(message: tuple[str, dict[str, Any]]) -> None:
        exchange, body = message
        envelope = PulseEnvelope(body=body, exchange=exchange, routing_key="", root_url=ROOT)
        job = task_job_transform(envelope=envelope, body=body, summary=summary, origin=origin)
        if job is not None:
            jobs_store(jobs=[PreparedJob(repository=repository, push_id=push.id, data=job["job"])])

    # Create the reference data once, outside the per-order transactions that roll back, so every
    # order sees the same refdata ids (cached: their commit hooks run here); then start from no jobs.
    with django_capture_on_commit_callbacks(execute=True):
        for message in single_run() + retried_run():
            deliver(message)
    Job.objects.all().delete()
    Event.objects.all().delete()
    return deliver


def snapshot() -> list[Any]:
    jobs = list(
        Job.objects.order_by("guid").values(
            *[f.attname for f in Job._meta.fields if f.attname not in ("id", "last_modified")]
        )
    )
    meta = sorted(TaskclusterMetadata.objects.values_list("job__guid", "task_id", "retry_id"))
    logs = sorted(JobLog.objects.values_list("job__guid", "name", "url", "status"))
    return [jobs, meta, logs]


def _outcome(store: Any, order: list[tuple[str, dict[str, Any]]]) -> tuple[list[Any], list[tuple[str, str]]]:
    with transaction.atomic():
        for message in order:
            store(message)
        result = snapshot()
        events = list(Event.objects.order_by("id").values_list("payload__guid", "payload__state"))
        transaction.set_rollback(True)
    return result, events


def _check_events(events: list[tuple[str, str]]) -> None:
    """One event per real change: per job, each event moves the state strictly forward."""
    rank = {"unscheduled": 0, "pending": 1, "running": 2, "completed": 3}
    last: dict[str, int] = {}
    for guid, state in events:
        assert rank[state] > last.get(guid, -1), events
        last[guid] = rank[state]


def test_single_run_every_order_with_duplicates(store: Any) -> None:
    messages = single_run()
    expected, _ = _outcome(store, messages)
    assert [(j["state"], j["result"]) for j in expected[0]] == [("completed", "testfailed")]

    orders = set(itertools.permutations([0, 0, 1, 1, 2, 2]))
    assert len(orders) == 90
    for order in orders:
        rows, events = _outcome(store, [messages[i] for i in order])
        assert rows == expected, order
        _check_events(events)


def test_retried_task_every_order_with_duplicates(store: Any) -> None:
    messages = retried_run()
    expected, events = _outcome(store, messages + messages)
    assert [(j["guid"][-1], j["state"], j["result"]) for j in expected[0]] == [
        ("0", "completed", "retry"),
        ("1", "completed", "testfailed"),
    ]
    assert len(events) == 6  # created, running, completed per run; the redelivery added none

    orders = list(itertools.permutations(range(6)))
    assert len(orders) == 720
    for order in orders:
        # Each permutation, then every message again in the reverse order.
        sequence = [messages[i] for i in order] + [messages[i] for i in reversed(order)]
        rows, events = _outcome(store, sequence)
        assert rows == expected, order
        _check_events(events)


def test_exception_created_by_an_exception_is_not_a_job(store: Any) -> None:
    run = _run(0, "exception", reasonCreated="exception", reasonResolved="deadline-exceeded")
    rows, events = _outcome(store, [_message("exception", 0, [run])])
    assert rows[0] == [] and events == []


@pytest.mark.parametrize(
    ("reason", "result"), [("canceled", "usercancel"), ("superseded", "superseded"), ("claim-expired", "exception")]
)
def test_exception_results(store: Any, reason: str, result: str) -> None:
    run = _run(0, "exception", reasonResolved=reason)
    rows, _ = _outcome(store, [_message("pending", 0, [_run(0, "pending")]), _message("exception", 0, [run])])
    assert [(j["state"], j["result"]) for j in rows[0]] == [("completed", result)]


def test_task_defined_is_unscheduled_and_never_overwrites_a_later_state(store: Any) -> None:
    defined = (QUEUE + "defined", {**_message("pending", 0, [])[1], "runId": None})
    defined[1].pop("runId")

    rows, _ = _outcome(store, [defined])
    assert [(j["state"], j["result"]) for j in rows[0]] == [("unscheduled", "unknown")]
    assert rows[1][0][2] == 0  # run 0

    rows, events = _outcome(store, [defined, _message("pending", 0, [_run(0, "pending")]), defined])
    assert [(j["state"], j["result"]) for j in rows[0]] == [("pending", "unknown")]
    assert [state for _, state in events] == ["unscheduled", "pending"]


def test_the_conditional_upsert_ranks_states_as_the_model_does() -> None:
    in_order = sorted(Job.STATE_RANK, key=Job.STATE_RANK.__getitem__)
    rank = f"FIELD(state, {', '.join(repr(str(state)) for state in in_order)})"

    assert STATE_RANK is Job.STATE_RANK
    assert rank == "FIELD(state, 'unscheduled', 'pending', 'running', 'completed')"
    assert f"IF({rank} < FIELD(VALUES(state), " in _conditional_upsert_sql(1)
