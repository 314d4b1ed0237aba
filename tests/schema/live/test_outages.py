"""Events committed while Redis is unreachable still reach subscribers (read back from the outbox),
and two Daphne processes sharing the layer both deliver every event."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from apps.live.models import Event
from tests import factories as f
from tests.support.live import publish_jobs, settled_cursor
from tests.support.processes import free_port, run_daphne, run_manage
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}
QUERY = "subscription ($repo: String!, $after: String) { jobChanged(repository: $repo, after: $after) { cursor } }"


def _scenario(urls: list[str], repo: str, after: str, jobs: list[Any], count: int) -> list[list[str]]:
    async def run() -> list[list[str]]:
        clients = [await GraphQLWS.connect(url) for url in urls]
        for client in clients:
            await client.subscribe("s", QUERY, {"repo": repo, "after": after})
        await asyncio.sleep(0.3)
        await sync_to_async(publish_jobs)(jobs)
        received = []
        for client in clients:
            messages = await client.collect(count, timeout=15)
            received.append([m["payload"]["data"]["jobChanged"]["cursor"] for m in messages])
            await client.close()
        return received

    return asyncio.run(run())


@pytest.mark.parametrize("down", ["relay", "daphne"])
def test_events_arrive_when_redis_is_unreachable(tmp_path: Path, down: str) -> None:
    call_command("load_reference_data", verbosity=0)
    job = f.JobFactory()
    after = "0"
    dead_redis = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    relay_env = {**SETTINGS, **(dead_redis if down == "relay" else {})}
    daphne_env = {**SETTINGS, **(dead_redis if down == "daphne" else {})}

    with run_manage(tmp_path, "live_relay", env=relay_env), run_daphne(tmp_path, env=daphne_env) as daphne:
        received = _scenario([daphne.url], job.repository.name, after, [job, job, job], 3)

    committed = Event.objects.filter(repository_id=job.repository_id).order_by("seq").values_list("seq", flat=True)
    assert received == [[str(seq) for seq in committed]]
    assert len(received[0]) == 3


def test_two_daphne_processes_share_the_layer(tmp_path: Path) -> None:
    call_command("load_reference_data", verbosity=0)
    repo = f.RepositoryFactory()
    jobs = [f.JobFactory(push=f.PushFactory(repository=repo)) for _ in range(5)]

    with (
        run_manage(tmp_path, "live_relay", env=SETTINGS),
        run_daphne(tmp_path, env=SETTINGS) as first,
        run_daphne(tmp_path, env=SETTINGS) as second,
    ):
        after = settled_cursor()
        received = _scenario([first.url, second.url], repo.name, after, jobs, 5)

    assert received[0] == received[1]
    assert len(received[0]) == 5
