"""A Redis that accepts connections and never answers (issue 15): with `socket_timeout: None` the
channel layer's group_send, group_add and receive waited forever, so the relay stopped numbering
(and nothing was delivered) and the outage handling never began. With REDIS_SOCKET_TIMEOUT every
layer call fails in bounded time: the relay keeps numbering, the hub delivers from the table, the
health endpoints answer and report the layer down, each process logs one line for the outage and
one when Redis answers again.

The relay and Daphne reach Redis through a proxy the test stalls (accepts, forwards nothing) and
resumes; the test publishes directly. Nothing here asserts a duration: a hang fails by the bounded
waits (wait_for, HTTP timeouts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import call_command

from apps.jobs.models import Job
from tests import factories as f
from tests.support.live import publish_jobs, settled_cursor
from tests.support.processes import RunningServer, run_daphne, run_manage
from tests.support.workers import TcpProxy, proxied, wait_for
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow]

LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}
DOWN = "channel_layer unavailable"
BACK = "channel_layer available again"
JOB_CHANGED = (
    "subscription ($repo: String!, $after: String) { jobChanged(repository: $repo, after: $after) { cursor } }"
)


@pytest.fixture
def stack(transactional_db: None, tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer, TcpProxy]]:
    call_command("load_reference_data", verbosity=0)
    redis_url = str(settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"])
    with (
        proxied(redis_url, 6379) as (proxy, url),
        run_manage(tmp_path, "live_relay", env={**LIVE_SETTINGS, "REDIS_URL": url}) as relay,
        run_daphne(tmp_path, env={**LIVE_SETTINGS, "REDIS_URL": url}) as daphne,
    ):
        yield daphne, relay, proxy


def _status(base_url: str) -> dict[str, Any]:
    response = requests.get(f"{base_url}/healthz/status", timeout=30)  # a hang fails here
    body: dict[str, Any] = response.json()
    return body


def test_a_redis_that_never_answers_is_an_outage_not_a_hang(
    stack: tuple[RunningServer, RunningServer, TcpProxy],
) -> None:
    daphne, relay, proxy = stack
    repo = f.RepositoryFactory()
    job: Job = f.JobFactory(push=f.PushFactory(repository=repo), state="pending")
    start = settled_cursor(timeout=60)

    def change(state: str) -> str:
        Job.objects.filter(id=job.id).update(state=state)
        job.refresh_from_db()
        publish_jobs([job])
        return settled_cursor(timeout=60)  # a relay stuck in group_send fails here

    async def scenario() -> tuple[str, list[str], dict[str, Any], int]:
        client = await GraphQLWS.connect(daphne.url)
        await client.subscribe("1", JOB_CHANGED, {"repo": repo.name, "after": start})
        inbox = client.collect_in_background()

        async def delivered(cursor: str) -> None:
            def seen() -> bool:
                return any(m["payload"]["data"]["jobChanged"]["cursor"] == cursor for m in inbox)

            await asyncio.to_thread(wait_for, seen, timeout=60, what=f"cursor {cursor}", logs=daphne.log)

        await delivered(await sync_to_async(change)("running"))  # before: through the layer
        log_marks = (len(daphne.log()), len(relay.log()))
        proxy.stall()
        during = await sync_to_async(change)("completed")  # numbered: the relay is not stuck
        await delivered(during)  # the hub reads it from the table
        # Both processes notice: their layer calls time out (REDIS_SOCKET_TIMEOUT).
        for process in (relay, daphne):
            await asyncio.to_thread(
                wait_for, lambda p=process: DOWN in p.log(), timeout=90, what="the outage line", logs=process.log
            )
        status = await asyncio.to_thread(_status, daphne.url)
        ready = await asyncio.to_thread(requests.get, f"{daphne.url}/healthz/ready", timeout=30)
        proxy.resume()
        await asyncio.to_thread(
            wait_for, lambda: _status(daphne.url)["ok"], timeout=90, what="every dependency up", logs=daphne.log
        )
        for process in (relay, daphne):
            if process is relay:
                # The relay sees Redis again with its next batch.
                await sync_to_async(publish_jobs)([job])
                await asyncio.to_thread(settled_cursor, 60)
            await asyncio.to_thread(
                wait_for, lambda p=process: BACK in p.log(), timeout=90, what="the recovery line", logs=process.log
            )
        await client.close()
        return during, [daphne.log()[log_marks[0] :], relay.log()[log_marks[1] :]], status, ready.status_code

    during, (daphne_log, relay_log), status, ready = asyncio.run(scenario())

    assert during  # delivered during the stall
    assert status["channel_layer"]["ok"] is False, status
    assert status["cache"]["ok"] is False, status
    assert status["database"]["ok"] is True, status
    assert ready == 200  # readiness checks the database only
    for log in (daphne_log, relay_log):
        assert log.count(DOWN) == 1, log[-4000:]
        assert log.count(BACK) == 1, log[-4000:]
        assert "Traceback" not in log, log[-4000:]
