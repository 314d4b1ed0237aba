"""A subscriber is never told a cursor it did not get the data for (issue 15, defect 2).

Daphne reaches MariaDB through a TCP proxy the test cuts; the relay and the test write directly. An
event numbered while Daphne cannot read the database used to go out as `job: null` with
"Unexpected error." and its cursor, so a client resuming from that cursor never got the change. Now
the subscription holds the event until the row can be read, then delivers it with its data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import connection

from apps.jobs.models import Job
from tests import factories as f
from tests.support.live import publish_jobs, settled_cursor
from tests.support.processes import RunningServer, run_daphne, run_manage
from tests.support.processes import test_database_url as database_url
from tests.support.workers import TcpProxy, proxied
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow]

LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}

JOB_CHANGED = """
subscription ($repo: String!) {
  jobChanged(repository: $repo) { cursor changed job { guid state } }
}
"""


@pytest.fixture
def stack(transactional_db: None, tmp_path: Path) -> Iterator[tuple[RunningServer, TcpProxy]]:
    """The relay on the test database; Daphne on it through a proxy. Writes commit at once."""
    call_command("load_reference_data", verbosity=0)
    if connection.vendor != "mysql":
        pytest.fail("the outage test needs MariaDB (bin/test runs the suite on it)")
    with (
        proxied(database_url(), 3306) as (proxy, url),
        run_manage(tmp_path, "live_relay", env=LIVE_SETTINGS),
        run_daphne(tmp_path, env={**LIVE_SETTINGS, "DATABASE_URL": url}) as daphne,
    ):
        yield daphne, proxy


def test_an_event_numbered_during_a_database_outage_arrives_with_its_data(
    stack: tuple[RunningServer, TcpProxy],
) -> None:
    daphne, proxy = stack
    repo = f.RepositoryFactory()
    job: Job = f.JobFactory(push=f.PushFactory(repository=repo), state="pending")
    settled_cursor()

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        client = await GraphQLWS.connect(daphne.url)
        await client.subscribe("1", JOB_CHANGED, {"repo": repo.name})
        await asyncio.sleep(0.5)  # live before the event
        proxy.cut()  # Daphne loses the database: its open connections drop, new ones are refused

        def change() -> str:
            Job.objects.filter(id=job.id).update(state="running")
            job.refresh_from_db()
            publish_jobs([job])
            return settled_cursor()  # the relay (direct to MariaDB) has numbered it

        cursor = await sync_to_async(change)()
        during = await client.quiet(3.0)  # held: nothing goes out while the row cannot be read
        proxy.restore()
        after = await client.collect(1, timeout=20.0) if not during else []
        await client.close()
        return during, after, cursor

    during, after, cursor = asyncio.run(scenario())

    assert during == [], during
    [message] = after
    assert message["id"] == "1" and message["type"] == "next"
    assert "errors" not in message["payload"], message
    assert message["payload"]["data"]["jobChanged"] == {
        "cursor": cursor,
        "changed": ["state"],
        "job": {"guid": job.guid, "state": "RUNNING"},
    }
