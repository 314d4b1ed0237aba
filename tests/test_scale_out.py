"""The Procfile's processes, started from the Procfile's own lines as separate processes: two web
(Daphne), two ingestion workers, both Pulse listeners, the relay and the scheduler. Sample traffic
is replayed into Pulse; a subscriber on each web process receives every event the workers produced,
in the same order, and /metrics on one web process shows the figures of all of them, once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from apps.jobs.models import Job
from apps.live.models import Event
from devtools.replay import PulsePublisher
from devtools.synthetic import TaskPlan
from tests.support.processes import ROOT, free_port
from tests.support.workers import manage, queue_has_consumer, run_process, wait_for
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow]

JOB_CHANGED = 'subscription { jobChanged(repository: "autoland", after: "0") { cursor job { guid state } } }'
STARTED = ["web", "web", "worker_store_pulse_data", "worker_store_pulse_data", "pulse_listener_tasks",
           "pulse_listener_pushes", "relay", "celery_scheduler"]  # fmt: skip


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if re.match(r"^[a-z_]+: ", line))


def _argv(command: str) -> list[str]:
    return ["bash", "-c", f"exec {command}"]  # as honcho runs a Procfile line


def _seed(pushes: int, tasks: int) -> tuple[int, int]:
    """A synthetic stream with no canceled or superseded task, and the jobs it makes (a retried
    task is two jobs: its runs)."""
    seed = int(time.time())
    while True:
        outcomes = [TaskPlan(seed, p, t).outcome for p in range(pushes) for t in range(tasks)]
        if not {"canceled", "superseded"} & set(outcomes):
            return seed, len(outcomes) + outcomes.count("retried")
        seed += 1


def _metrics(url: str) -> dict[str, Any]:
    text = requests.get(f"{url}/metrics", timeout=10).text
    return {family.name: family for family in text_string_to_metric_families(text)}


def _sample(families: dict[str, Any], family: str, name: str, **labels: str) -> float:
    if family not in families:
        return 0.0
    return sum(
        s.value
        for s in families[family].samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def _settled(jobs: int) -> bool:
    return (
        Job.objects.filter(repository_id=77).count() == jobs
        and not Job.objects.exclude(state=Job.State.COMPLETED).exists()
        and not Event.objects.filter(seq__isnull=True).exists()
    )


def test_the_procfile_scaled_out(pipeline_env: dict[str, str], tmp_path: Path) -> None:
    commands = procfile()
    pulse_url = os.environ["PULSE_URL"]
    PulsePublisher(pulse_url, declare_listener_queues=False).close()  # the exchanges, for the listeners
    owner = pipeline_env["PULSE_QUEUE_USER"]
    ports = [free_port(), free_port()]
    seed, jobs = _seed(2, 8)
    with contextlib.ExitStack() as stack:
        processes = []
        for index, name in enumerate(STARTED):
            env = {**pipeline_env, "PORT": str(ports[index])} if name == "web" else pipeline_env
            processes.append(stack.enter_context(run_process(_argv(commands[name]), tmp_path, name, env)))
        webs = [f"http://127.0.0.1:{port}" for port in ports]

        def logs() -> str:
            return "\n".join(f"--- {name}\n{p.log()[-1500:]}" for name, p in zip(STARTED, processes, strict=True))

        for url in webs:
            wait_for(lambda u=url: _answers(u), timeout=60, what=f"web {url}", logs=logs)
        for queue in ("tasks", "resultsets"):
            wait_for(lambda q=queue: queue_has_consumer(pulse_url, f"queue/{owner}/{q}"), timeout=60, what=queue)
        for queue in ("store_pulse_tasks", "store_pulse_pushes"):
            wait_for(lambda q=queue: queue_has_consumer(os.environ["CELERY_BROKER_URL"], q), timeout=60, what=queue)
        scheduler = processes[STARTED.index("celery_scheduler")]
        wait_for(lambda: "beat: Acquired lock" in scheduler.log(), timeout=90, what="scheduler lock", logs=logs)
        before = _metrics(webs[0])

        async def scenario() -> tuple[list[str], list[str], dict[str, Any]]:
            clients = [await GraphQLWS.connect(url) for url in webs]
            for client in clients:
                await client.subscribe("s", JOB_CHANGED)
            inboxes = [client.collect_in_background() for client in clients]
            replay = manage(
                "replay_pulse", "--synthetic", "--pushes", "2", "--tasks", "8", "--push-interval", "0.3",
                "--step-interval", "0.2", "--seed", str(seed),
            )  # fmt: skip
            with run_process(replay, tmp_path, "replay", pipeline_env) as sender:
                assert await asyncio.to_thread(sender.process.wait, 120) == 0, sender.log()
            await asyncio.to_thread(
                wait_for, lambda: _settled(jobs), timeout=180, what="ingestion to settle", logs=logs
            )
            head = await asyncio.to_thread(
                lambda: (
                    Event.objects.filter(repository_id=77, type="job.changed")
                    .order_by("-seq")
                    .values_list("seq", flat=True)
                    .first()
                )
            )
            await asyncio.to_thread(
                wait_for,
                lambda: all(inbox and _cursor(inbox[-1]) == str(head) for inbox in inboxes),
                timeout=60,
                what="both subscribers to reach the head",
                logs=logs,
            )
            during = await asyncio.to_thread(_metrics, webs[0])  # while both sockets are open
            for client in clients:
                await client.close()
            return [_cursor(m) for m in inboxes[0]], [_cursor(m) for m in inboxes[1]], during

        first, second, during = asyncio.run(scenario())

    numbered = [
        str(s)
        for s in Event.objects.filter(repository_id=77, type="job.changed")
        .order_by("seq")
        .values_list("seq", flat=True)
    ]
    assert first == second == numbered  # every event, once, in commit order, on both web processes
    assert Job.objects.filter(repository_id=77).count() == jobs

    # One web process's /metrics holds every process's figures.
    def grew(family: str, name: str, **labels: str) -> float:
        return _sample(during, family, name, **labels) - _sample(before, family, name, **labels)

    assert grew("treeherder_jobs_created", "treeherder_jobs_created_total") == jobs  # counted by the workers
    assert grew("treeherder_ingest_lag_seconds", "treeherder_ingest_lag_seconds_count", kind="tasks") > 0
    assert grew("treeherder_live_events", "treeherder_live_events_total", stage="published") >= len(numbered)
    assert grew("treeherder_live_events", "treeherder_live_events_total", stage="relayed") >= len(numbered)
    assert grew("treeherder_live_delivery_seconds", "treeherder_live_delivery_seconds_count") > 0
    assert grew("treeherder_websockets_open", "treeherder_websockets_open") == 2  # one per web process
    assert grew("treeherder_subscriptions_open", "treeherder_subscriptions_open") == 2


def _cursor(message: dict[str, Any]) -> str:
    return str(message["payload"]["data"]["jobChanged"]["cursor"])


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz/live", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
