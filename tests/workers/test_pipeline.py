"""The whole pipeline with real processes: replay_pulse -> RabbitMQ -> listeners -> Celery worker
-> MariaDB; pushes that arrive late or never; a worker killed mid-stream; MariaDB cut mid-stream."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from kombu import Connection, Exchange, Producer

from apps.core.metrics import metrics_snapshot
from apps.dead_letters.models import DeadLetter
from apps.jobs.models import Job
from apps.live.models import Event
from apps.pushes.models import Push
from apps.pushes.services import pulse_push_ingest
from config.celery import app as celery_app
from devtools import synthetic
from devtools.replay import PulsePublisher, sample_push_messages, sample_task_messages
from tests.support.processes import test_database_url as database_url_of_tests
from tests.support.samples import sample
from tests.support.workers import (
    TcpProxy,
    celery_worker_args,
    manage,
    queue_has_consumer,
    run_process,
    wait_for,
)
from workers.tasks import STORE_TASKS, TASKS_QUEUE

pytestmark = [pytest.mark.slow]


def _enqueue_tasks(messages: list[dict[str, Any]], root_url: str, batch: int = 50) -> None:
    handed = [{**m, "root_url": root_url} for m in messages]
    for start in range(0, len(handed), batch):
        celery_app.send_task(STORE_TASKS, args=[handed[start : start + batch]], queue=TASKS_QUEUE)


def _store_hg_pushes(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        if message["exchange"] == "exchange/hgpushes/v1":
            pulse_push_ingest(body=message["body"], exchange=message["exchange"])


def test_replay_to_mariadb_end_to_end(pipeline_env: dict[str, str], tmp_path: Path) -> None:
    pulse_url = os.environ["PULSE_URL"]
    PulsePublisher(pulse_url, declare_listener_queues=False).close()  # the exchanges exist before the listeners bind
    owner = pipeline_env["PULSE_QUEUE_USER"]
    with (
        run_process(celery_worker_args("e2e"), tmp_path, "worker", pipeline_env) as worker,
        run_process(manage("pulse_listener_tasks"), tmp_path, "tasks", pipeline_env) as tasks,
        run_process(manage("pulse_listener_pushes"), tmp_path, "pushes", pipeline_env) as pushes,
    ):

        def logs() -> str:
            return "\n".join(p.log() for p in (worker, tasks, pushes))

        for name in ("tasks", "resultsets"):
            wait_for(
                lambda n=name: queue_has_consumer(pulse_url, f"queue/{owner}/{n}"), timeout=60, what=name, logs=logs
            )
        # A body that is not JSON: logged, counted and acked by the listener, which goes on.
        with Connection(pulse_url) as conn:
            Producer(conn.channel()).publish(
                b"{not json",
                exchange=Exchange("exchange/taskcluster-queue/v1/task-pending", type="topic", durable=True),
                routing_key="primary.x",
                content_type="application/json",
                content_encoding="utf-8",
            )
        wait_for(
            lambda: metrics_snapshot().get('pulse_malformed_messages{listener="tasks",reason="undecodable"}') == 1,
            timeout=60,
            what="the malformed message to be counted",
            logs=logs,
        )
        with run_process(manage("replay_pulse", "--samples"), tmp_path, "replay", pipeline_env) as replay:
            assert replay.process.wait(timeout=120) == 0, replay.log()
        wait_for(lambda: Job.objects.count() == 91, timeout=180, what="91 jobs", logs=logs)
        wait_for(lambda: Push.objects.count() == 12, timeout=60, what="12 pushes", logs=logs)

    expected = sample("taskcluster_transformed_jobs")
    stored = {guid: (state, result) for guid, state, result in Job.objects.values_list("guid", "state", "result")}
    assert stored == {e["job"]["job_guid"]: (e["job"]["state"], e["job"]["result"]) for e in expected.values()}
    assert Event.objects.filter(type="job.changed").count() == 91
    assert DeadLetter.objects.count() == 0


def test_jobs_wait_for_a_late_push_and_a_push_that_never_comes_is_dead_lettered(
    pipeline_env: dict[str, str], tmp_path: Path, settings: Any
) -> None:
    root = pipeline_env["TASKCLUSTER_ROOT_URL"]
    # Two tasks on autoland pushes that arrive late, one on a try push that never arrives.
    late = ("A35mWTRuQmyj88yMnIF0fA", "B3EheQ-IQ5aPzw34KS_a6g")
    messages = [m for m in sample_task_messages() if m["body"]["status"]["taskId"] in late]
    never_id = next(
        task_id
        for task_id, task in sorted(sample("taskcluster_tasks").items())
        if any(r.startswith("tc-treeherder.v2.try.cfe6ae48816614025c458223c66ca2a87b673408") for r in task["routes"])
    )
    never = sample("taskcluster_pulse_messages")[never_id]
    # Six retries from 0.2 s, doubling: the never-coming push is given up on after about 13 s.
    env = {**pipeline_env, "INGEST_RETRY_BASE_SECONDS": "0.2", "INGEST_MAX_RETRIES": "6"}
    with run_process(celery_worker_args("late"), tmp_path, "worker", env) as worker:
        _enqueue_tasks(messages, root)
        _enqueue_tasks(
            [{"exchange": never["exchange"], "routing_key": never["routes"], "body": never["payload"]}], root
        )
        wait_for(
            lambda: metrics_snapshot().get("jobs_missing_push", 0) >= 3, timeout=60, what="retries", logs=worker.log
        )
        assert Job.objects.count() == 0

        # The pushes of the first two tasks arrive; the third task's never does.
        pushes = sample_push_messages(settings.HG_URL)
        wanted = {"219d38523a321229f7f48aca6592f76b993fb1aa", "918d7c84da371bda26460fb4b50f161d32107880"}
        _store_hg_pushes([p for p in pushes if p["body"].get("payload", {}).get("heads", [""])[0] in wanted])

        wait_for(lambda: Job.objects.count() == 2, timeout=60, what="the late jobs", logs=worker.log)
        wait_for(lambda: DeadLetter.objects.count() == 1, timeout=120, what="the dead letter", logs=worker.log)
        letter = DeadLetter.objects.get()
        assert (letter.kind, letter.reason, letter.attempts) == ("tasks", "missing_push", 7)
        assert letter.message["body"]["status"]["taskId"] == never_id
        assert metrics_snapshot()['pulse_dead_letters{kind="tasks",reason="missing_push"}'] == 1

        # Retried by hand once its push is there, it is stored.
        _store_hg_pushes(pushes)
        call_command("dead_letters", "--retry")
        wait_for(lambda: Job.objects.count() == 3, timeout=60, what="the retried dead letter", logs=worker.log)
    assert DeadLetter.objects.get().retried_at is not None


def _synthetic(pushes: int, tasks: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    seed = 1_700_000_000
    push_messages = [
        {"exchange": "exchange/hgpushes/v1", "routing_key": "x", "body": synthetic.hg_push_message(seed, p, "")}
        for p in range(pushes)
    ]
    task_messages = []
    for step in range(3):
        for p in range(pushes):
            for t in range(tasks):
                steps = synthetic.task_messages(synthetic.TaskPlan(seed, p, t, retries=False))
                task_messages += steps[step]
    return push_messages, task_messages, pushes * tasks


def _final_states(pushes: int, tasks: int) -> dict[str, tuple[str, str]]:
    expected = {}
    for p in range(pushes):
        for t in range(tasks):
            plan = synthetic.TaskPlan(1_700_000_000, p, t, retries=False)
            guid = f"{__import__('slugid').decode(plan.task_id)}/0"
            kind = synthetic.SUITES[t % len(synthetic.SUITES)][3]
            result = {"success": "success", "canceled": "usercancel", "superseded": "superseded"}.get(
                plan.outcome, "testfailed" if kind == "test" else "busted"
            )
            expected[guid] = ("completed", result)
    return expected


def _assert_exactly_once(pushes: int, tasks: int) -> None:
    stored = {guid: (state, result) for guid, state, result in Job.objects.values_list("guid", "state", "result")}
    assert stored == _final_states(pushes, tasks)
    created = Event.objects.filter(type="job.changed", payload__changed=["created"]).count()
    assert created == pushes * tasks  # every job created exactly once


def test_a_killed_worker_loses_nothing(pipeline_env: dict[str, str], tmp_path: Path, settings: Any) -> None:
    pushes, tasks = 4, 150
    push_messages, task_messages, jobs = _synthetic(pushes, tasks)
    for message in push_messages:
        message["body"] = synthetic.hg_push_message(1_700_000_000, push_messages.index(message), settings.HG_URL)
    _store_hg_pushes(push_messages)
    # Small batches: many tasks in the queue, so the kill lands mid-stream.
    _enqueue_tasks(task_messages, pipeline_env["TASKCLUSTER_ROOT_URL"], batch=10)

    with run_process(celery_worker_args("victim"), tmp_path, "victim", pipeline_env) as victim:
        wait_for(lambda: Job.objects.count() > 0, timeout=120, what="the first jobs", logs=victim.log)
        victim.kill()  # SIGKILL, worker and pool, while it holds prefetched, unacked batches
    assert Job.objects.count() < jobs or Job.objects.filter(state="completed").count() < jobs

    with run_process(celery_worker_args("survivor"), tmp_path, "survivor", pipeline_env) as survivor:
        wait_for(
            lambda: Job.objects.filter(state="completed").count() == jobs,
            timeout=240,
            what="every job completed",
            logs=survivor.log,
        )
    _assert_exactly_once(pushes, tasks)


def test_mariadb_outage_mid_stream_loses_nothing(pipeline_env: dict[str, str], tmp_path: Path, settings: Any) -> None:
    pushes, tasks = 4, 150
    push_messages, task_messages, jobs = _synthetic(pushes, tasks)
    for index, message in enumerate(push_messages):
        message["body"] = synthetic.hg_push_message(1_700_000_000, index, settings.HG_URL)
    _store_hg_pushes(push_messages)
    database = database_url_of_tests()
    host_port = database.split("@", 1)[1].split("/", 1)[0]
    proxy = TcpProxy((host_port.split(":")[0], int(host_port.split(":")[1])))
    env = {**pipeline_env, "DATABASE_URL": database.replace(host_port, f"127.0.0.1:{proxy.port}")}
    try:
        with run_process(celery_worker_args("outage"), tmp_path, "worker", env) as worker:
            _enqueue_tasks(task_messages, pipeline_env["TASKCLUSTER_ROOT_URL"], batch=20)
            wait_for(lambda: Job.objects.count() > 0, timeout=120, what="the first jobs", logs=worker.log)
            proxy.cut()  # MariaDB is gone, as the worker sees it
            wait_for(
                lambda: metrics_snapshot().get('pulse_batch_db_errors{kind="tasks"}', 0) >= 2,
                timeout=120,
                what="the worker to hit the outage",
                logs=worker.log,
            )
            proxy.restore()
            wait_for(
                lambda: Job.objects.filter(state="completed").count() == jobs,
                timeout=240,
                what="every job completed",
                logs=worker.log,
            )
    finally:
        proxy.cut()
    _assert_exactly_once(pushes, tasks)
    assert DeadLetter.objects.count() == 0
