"""Through Daphne: five distinct subscriptions (five shared executions) deliver one event with one
job-row query between them (`treeherder_live_row_reads_total`), and with the row as of the event."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from apps.core.metrics import metrics_snapshot
from apps.jobs.models import Job
from tests import factories as f
from tests.schema.live.conftest import LiveStack
from tests.support.live import publish_jobs, settled_cursor
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed")]

JOB_CHANGED = """
subscription ($repo: String!, $filter: JobEventFilter) {
  jobChanged(repository: $repo, filter: $filter) { cursor job { guid state } }
}
"""
# Five different requests (so five executions), each accepting the job.
FILTERS: list[dict[str, Any]] = [
    {},
    {"tiers": [1]},
    {"states": ["PENDING", "RUNNING"]},
    {"results": ["UNKNOWN"]},
    {"tiers": [1, 2]},
]


def _job_row_reads() -> int:
    return metrics_snapshot().get('live_row_reads{loader="JobByIdLoader"}', 0)


def test_one_job_row_query_for_every_execution_of_an_event(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    job: Job = f.JobFactory(push=f.PushFactory(repository=repo), state="pending", result="unknown", tier=1)
    settled_cursor()

    async def scenario() -> tuple[list[dict[str, Any]], int]:
        client = await GraphQLWS.connect(live_stack.url)
        for index, job_filter in enumerate(FILTERS):
            await client.subscribe(str(index), JOB_CHANGED, {"repo": repo.name, "filter": job_filter})
        # Warm-up events until every subscription has received one: all five are live (these
        # deliveries are not what is counted).
        live: set[str] = set()
        for _ in range(20):
            await sync_to_async(publish_jobs)([job])
            live |= {m["id"] for m in await client.quiet(1.0)}
            if len(live) == len(FILTERS):
                break
        assert len(live) == len(FILTERS)
        before = await sync_to_async(_job_row_reads)()

        def change() -> None:
            Job.objects.filter(id=job.id).update(state="running")
            job.refresh_from_db()
            publish_jobs([job])

        await sync_to_async(change)()
        messages = await client.collect(len(FILTERS), timeout=20.0)
        await client.close()
        return messages, await sync_to_async(_job_row_reads)() - before

    messages, reads = asyncio.run(scenario())

    assert sorted(m["id"] for m in messages) == [str(i) for i in range(len(FILTERS))]
    assert {m["payload"]["data"]["jobChanged"]["job"]["state"] for m in messages} == {"RUNNING"}
    assert reads == 1  # one query for five executions (it was five: one per execution)
