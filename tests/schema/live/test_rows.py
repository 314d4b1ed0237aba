"""Shared reads of the rows live events name (schema/live/rows.py), against MariaDB in-process:
one query for every execution of an event and for a relay batch's events; a row is never served to
an event newer than its read; a failed read fails its waiters, caches nothing, and is read again."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from django.db import DatabaseError, connection

from apps.jobs.models import Job
from apps.live.events import NumberedEvent
from schema.jobs.dataloaders import JobByIdLoader
from schema.live.rows import SharedRows
from schema.loading import SelectorLoader
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def _event(seq: int, job: Job) -> NumberedEvent:
    return NumberedEvent(seq, "job.changed", job.repository_id, job.push_id, job.id, {})


def test_every_execution_of_an_event_shares_one_query() -> None:
    jobs = [f.JobFactory() for _ in range(5)]
    rows = SharedRows()

    async def scenario() -> list[Any]:
        for seq, job in enumerate(jobs, start=1):
            rows.expect(_event(seq, job))  # the hub dispatched a batch of five events
        # Ten executions of the first event (ten documents), asking at once.
        first = await asyncio.gather(*(rows.get(JobByIdLoader, jobs[0].id, 1) for _ in range(10)))
        # The executions then move on to the batch's other events: read ahead with the first.
        rest = [await rows.get(JobByIdLoader, job.id, seq) for seq, job in enumerate(jobs[1:], start=2)]
        return first + rest

    found = asyncio.run(scenario())

    assert rows.reads == 1
    assert [row.id for row in found] == [jobs[0].id] * 10 + [job.id for job in jobs[1:]]


def test_a_row_is_never_served_to_an_event_newer_than_its_read() -> None:
    job = f.JobFactory(state="pending")
    rows = SharedRows()

    async def scenario() -> tuple[str, str, str]:
        first = await rows.get(JobByIdLoader, job.id, 10)
        await asyncio.to_thread(lambda: Job.objects.filter(id=job.id).update(state="running"))
        # Event 11 (the change to running) committed after the read for event 10: read again.
        again_for_10 = await rows.get(JobByIdLoader, job.id, 10)
        for_11 = await rows.get(JobByIdLoader, job.id, 11)
        return first.state, again_for_10.state, for_11.state

    first, again_for_10, for_11 = asyncio.run(scenario())

    assert (first, again_for_10, for_11) == ("pending", "pending", "running")
    assert rows.reads == 2


class _BrokenUntilTableExists(SelectorLoader[int, Any]):
    """Reads a table that does not exist yet: MariaDB answers with an error (a real DatabaseError)."""

    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM live_rows_test")
            return {row[0]: row[0] for row in cursor.fetchall() if row[0] in keys}


def test_a_failed_read_fails_every_waiter_caches_nothing_and_is_read_again() -> None:
    rows = SharedRows()

    async def scenario() -> tuple[list[BaseException | Any], Any]:
        waiters = (rows.get(_BrokenUntilTableExists, 1, 5) for _ in range(3))
        failed = await asyncio.gather(*waiters, return_exceptions=True)

        def create() -> None:
            with connection.cursor() as cursor:
                cursor.execute("CREATE TABLE live_rows_test (id INT PRIMARY KEY)")
                cursor.execute("INSERT INTO live_rows_test VALUES (1)")

        await asyncio.to_thread(create)
        return failed, await rows.get(_BrokenUntilTableExists, 1, 5)

    try:
        failed, answered = asyncio.run(scenario())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS live_rows_test")

    assert all(isinstance(result, DatabaseError) for result in failed)
    assert answered == 1
    assert rows.reads == 1  # the failed read counted nothing; the second one read
