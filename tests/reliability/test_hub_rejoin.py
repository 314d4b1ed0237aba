"""A hub that starts while Redis is unreachable joins the live group as soon as Redis is back.

The bug: the hub tried `group_add` once at start. When it failed, only a failed `receive()` led to a
rejoin, and redis-py retries a failed command for several seconds before it raises: when Redis
came back during those retries (or before the first receive), the receive just went on and the hub
stayed outside the group until the six-hourly refresh. Subscribers still got events, read back
from the table by the tail check, but a second late and with every hub polling the database.

Here Daphne reaches Redis through a proxy the test cuts; the relay and the test reach it directly.
A subscription starts the hub during the cut. The blip must end between the failed `group_add` and
the first receive, the window in which the old hub never noticed; the test holds that window open
by locking the outbox table, so the hub's read of the head (between the two) waits: Redis is
restored, then the table unlocked. Afterwards the hub's channel is in the group in Redis (what
channels-redis's group_send delivers to), and events reach the subscriber. (With the old hub the
test times out waiting for the membership.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from apps.jobs.models import Job
from apps.live.relay import LIVE_GROUP
from tests import factories as f
from tests.support.live import publish_jobs, settled_cursor
from tests.support.processes import RunningServer, run_daphne, run_manage
from tests.support.workers import TcpProxy, proxied, wait_for
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow]

LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}

JOB_CHANGED = """
subscription ($repo: String!) {
  jobChanged(repository: $repo) { cursor job { guid state } }
}
"""

STARTED_WITHOUT_LAYER = "live hub: cannot join the channel layer"
JOINED_AGAIN = "live hub: joined the channel layer again"


def _redis_url() -> str:
    return str(settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"])


@pytest.fixture
def stack(transactional_db: None, tmp_path: Path) -> Iterator[tuple[RunningServer, TcpProxy]]:
    """The relay on Redis directly; Daphne on it through a proxy."""
    call_command("load_reference_data", verbosity=0)
    with (
        proxied(_redis_url(), 6379) as (proxy, url),
        run_manage(tmp_path, "live_relay", env=LIVE_SETTINGS),
        run_daphne(tmp_path, env={**LIVE_SETTINGS, "REDIS_URL": url}) as daphne,
    ):
        yield daphne, proxy


def _hub_members() -> list[str]:
    """The live hubs in the live group, as Redis holds it (the relay's group_send reads this)."""
    key = get_channel_layer()._group_key(LIVE_GROUP)  # type: ignore[union-attr]
    with redis.Redis.from_url(_redis_url()) as client:
        members: list[bytes] = client.zrange(key, 0, -1)
    return [m.decode() for m in members if m.startswith(b"live-hub.")]


def test_a_hub_started_during_a_redis_outage_joins_the_group_when_redis_is_back(
    stack: tuple[RunningServer, TcpProxy],
) -> None:
    daphne, proxy = stack
    repo = f.RepositoryFactory()
    job: Job = f.JobFactory(push=f.PushFactory(repository=repo), state="pending")
    settled_cursor()
    # Hubs of Daphnes gone before (channels-redis keeps members for a day); this one starts with
    # the first subscription.
    before = set(_hub_members())

    # A connection of its own (not Django's, which is bound to this thread) holds the table lock.
    wrapper = connections.create_connection("default")
    locker = wrapper.get_new_connection(wrapper.get_connection_params())

    async def scenario() -> tuple[dict[str, Any], str]:
        proxy.cut()
        locker.cursor().execute("LOCK TABLES live_event WRITE")  # the hub's head read will wait
        client = await GraphQLWS.connect(daphne.url)
        await client.subscribe("1", JOB_CHANGED, {"repo": repo.name})
        inbox = client.collect_in_background()  # answers the server's pings meanwhile
        # The hub starts (the subscription needs it) and cannot reach Redis.
        await asyncio.to_thread(
            wait_for, lambda: STARTED_WITHOUT_LAYER in daphne.log(), timeout=90, what="the hub start", logs=daphne.log
        )
        proxy.restore()
        locker.cursor().execute("UNLOCK TABLES")  # the hub reads the head, then receives: Redis is back
        await asyncio.to_thread(
            wait_for,
            lambda: len(set(_hub_members()) - before) == 1,
            timeout=60,
            what="the hub to join the group",
            logs=daphne.log,
        )

        def change() -> str:
            Job.objects.filter(id=job.id).update(state="running")
            job.refresh_from_db()
            publish_jobs([job])
            return settled_cursor()

        cursor = await sync_to_async(change)()
        await asyncio.to_thread(wait_for, lambda: bool(inbox), timeout=30, what="the event", logs=daphne.log)
        await client.close()
        [message] = inbox
        return message, cursor

    try:
        message, cursor = asyncio.run(scenario())
    finally:
        locker.close()

    assert message["payload"]["data"]["jobChanged"] == {"cursor": cursor, "job": {"guid": job.guid, "state": "RUNNING"}}
    log = daphne.log()
    assert log.count(STARTED_WITHOUT_LAYER) == 1, log[-4000:]
    assert log.count(JOINED_AGAIN) == 1, log[-4000:]
