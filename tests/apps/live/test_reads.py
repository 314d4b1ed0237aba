"""The live read pool: live reads run side by side, in at most LIVE_DB_THREADS threads, so a web
process holds at most that many MariaDB connections for live delivery; `schema.db.db` sends a live
execution's reads there and everything else to the thread-sensitive thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from apps.core.metrics import metrics_reset, metrics_snapshot
from apps.live import reads
from schema.db import db, use_live_reads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def three_threads(settings: Any) -> Iterator[None]:
    reads.shutdown()
    settings.LIVE_DB_THREADS = 3
    yield
    reads.shutdown()  # the next user gets a pool of the default size


def _connection_of_a_slow_query() -> int:
    with connection.cursor() as cursor:
        # Long enough that every read is in flight at once, so the pool is as busy as it can be.
        cursor.execute("SELECT SLEEP(0.05), CONNECTION_ID()")
        return int(cursor.fetchone()[1])


def test_live_reads_use_at_most_the_setting_connections_and_are_counted(three_threads: None) -> None:
    metrics_reset()

    async def scenario() -> set[int]:
        return set(await asyncio.gather(*(reads.run_live(_connection_of_a_slow_query) for _ in range(30))))

    connections = asyncio.run(scenario())

    assert 2 <= len(connections) <= 3  # side by side (not one thread), and bounded
    # Every query is counted: the 30 reads, and the two statements that set up each new connection
    # (its isolation level and sql_mode).
    assert metrics_snapshot().get("live_db_queries") == 30 + 2 * len(connections)


def test_a_live_execution_reads_in_the_pool_and_a_request_in_the_thread_sensitive_thread() -> None:
    def thread_name() -> str:
        return threading.current_thread().name

    async def live() -> str:
        use_live_reads()
        return await db(thread_name)()

    async def request() -> str:
        return await db(thread_name)()

    async def scenario() -> tuple[str, str, str]:
        # Each task has its own copy of the context: the live one does not leak into the other.
        live_name = await asyncio.create_task(live())
        return live_name, await asyncio.create_task(request()), await request()

    live_name, request_name, same_task_name = asyncio.run(scenario())

    assert live_name.startswith("live-db")
    assert not request_name.startswith("live-db")
    assert not same_task_name.startswith("live-db")
