"""Subscribers following real ingestion: replay_pulse -> RabbitMQ -> Pulse listeners -> Celery worker
-> MariaDB (+ outbox) -> relay -> Redis -> Daphne -> WebSocket clients. A subscriber that drops out
mid-stream and comes back with its cursor has seen every event exactly once, in order. A bot on
jobFailures hears each failed job complete, then its error lines and bug suggestions (the worker
also parses the logs, fetched from the sample server)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from apps.jobs.models import FailureClassification, Job, JobLog
from apps.live.models import Event
from devtools.replay import PulsePublisher
from devtools.synthetic import TaskPlan
from tests.support.processes import run_daphne, run_manage
from tests.support.workers import ALL_QUEUES, celery_worker_args, manage, queue_has_consumer, run_process, wait_for
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow]

LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}
JOB_CHANGED = """
subscription ($after: String) {
  jobChanged(repository: "autoland", after: $after) { cursor changed job { guid state result } }
}
"""
JOB_FAILURES = """
subscription {
  jobFailures(repositories: ["autoland"], after: "0") {
    cursor kind job { guid result tier textLogErrors { line bugSuggestions { searchTerms } } }
  }
}
"""


def _seed_with_failures(pushes: int, tasks: int) -> int:
    """A stream id whose tasks include failures (about one task in twelve fails)."""
    seed = int(time.time())
    while sum(TaskPlan(seed, p, t).outcome == "failed" for p in range(pushes) for t in range(tasks)) < 2:
        seed += 1
    return seed


def _settled() -> bool:
    """Ingestion and log parsing are done and the relay has numbered everything."""
    return (
        Job.objects.exists()
        and not Job.objects.exclude(state=Job.State.COMPLETED).exists()
        and not JobLog.objects.filter(status=JobLog.Status.PENDING).exists()
        and not Event.objects.filter(seq__isnull=True).exists()
    )


def test_subscribers_follow_real_ingestion_and_resume_with_a_cursor(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    pulse_url = os.environ["PULSE_URL"]
    PulsePublisher(pulse_url, declare_listener_queues=False).close()  # the exchanges, for the listeners to bind
    owner = pipeline_env["PULSE_QUEUE_USER"]
    live_env = {**pipeline_env, **LIVE_SETTINGS}
    with (
        run_process(celery_worker_args("live", ALL_QUEUES), tmp_path, "worker", pipeline_env) as worker,
        run_process(manage("pulse_listener_tasks"), tmp_path, "tasks", pipeline_env) as tasks,
        run_process(manage("pulse_listener_pushes"), tmp_path, "pushes", pipeline_env) as pushes,
        run_manage(tmp_path, "live_relay", env=live_env),
        run_daphne(tmp_path, env=live_env) as daphne,
    ):

        def logs() -> str:
            return "\n".join(p.log() for p in (worker, tasks, pushes)) + daphne.log()

        for name in ("tasks", "resultsets"):
            wait_for(lambda n=name: queue_has_consumer(pulse_url, f"queue/{owner}/{n}"), timeout=60, what=name)

        async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            watcher = await GraphQLWS.connect(daphne.url)
            await watcher.subscribe("s", JOB_CHANGED, {"after": "0"})
            bot = await GraphQLWS.connect(daphne.url)
            await bot.subscribe("f", JOB_FAILURES)
            bot_inbox = bot.collect_in_background()
            replay_args = manage(
                "replay_pulse", "--synthetic", "--pushes", "2", "--tasks", "12", "--push-interval", "0.5",
                "--step-interval", "0.3", "--seed", str(_seed_with_failures(2, 12)),
            )  # fmt: skip
            changes: list[dict[str, Any]] = []
            with run_process(replay_args, tmp_path, "replay", pipeline_env) as replay:
                while len(changes) < 15:
                    changes.append((await watcher.receive(timeout=60))["payload"]["data"]["jobChanged"])
                await watcher.close()  # the watcher goes away while ingestion continues
                await asyncio.sleep(3)
                watcher = await GraphQLWS.connect(daphne.url)
                await watcher.subscribe("s", JOB_CHANGED, {"after": changes[-1]["cursor"]})
                assert await asyncio.to_thread(replay.process.wait, 120) == 0, replay.log()
            await asyncio.to_thread(wait_for, _settled, timeout=180, what="ingestion to settle", logs=logs)
            changes += [m["payload"]["data"]["jobChanged"] for m in await watcher.quiet(3.0)]
            await watcher.close()
            await bot.close()
            failures = [m["payload"]["data"]["jobFailures"] for m in bot_inbox]
            return changes, failures

        changes, failures = asyncio.run(scenario())

    numbered = list(
        Event.objects.filter(type="job.changed", repository_id=77).order_by("seq").values_list("seq", flat=True)
    )
    assert [int(c["cursor"]) for c in changes] == numbered  # every event, once, in order
    final = {job.guid: job for job in Job.objects.all()}
    last_seen = {c["job"]["guid"]: c["job"] for c in changes}
    assert {guid: (j["state"].lower(), j["result"].lower()) for guid, j in last_seen.items()} == {
        guid: (job.state, job.result) for guid, job in final.items()
    }
    failed = {
        job.guid
        for job in final.values()
        if job.result in ("testfailed", "busted", "exception")
        and job.tier <= 2
        and job.failure_classification_id in FailureClassification.UNCLASSIFIED_IDS
    }
    assert failed, "the synthetic stream fails some tasks"
    # Each failed job: COMPLETED, then ERRORS_READY once its raw log is parsed, carrying the error
    # lines (read when the event is delivered) and their suggestions. Its errorsummary (parsed by
    # another task, in either order) may mark it intermittent (classification 8): CLASSIFIED.
    kinds: dict[str, list[str]] = {}
    for f in failures:
        kinds.setdefault(f["job"]["guid"], []).append(f["kind"])
    assert set(kinds) == failed
    for guid, seen in kinds.items():
        assert seen[0] == "COMPLETED" and seen.count("ERRORS_READY") == 1, (guid, seen)
        assert set(seen[1:]) <= {"ERRORS_READY", "CLASSIFIED"}, (guid, seen)
    for f in failures:
        if f["kind"] == "ERRORS_READY":
            errors = f["job"]["textLogErrors"]
            assert errors and all(e["bugSuggestions"]["searchTerms"] is not None for e in errors), f
