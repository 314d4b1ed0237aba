"""pushHealthChanged: a push's health after each change of its jobs, over a real WebSocket."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from apps.jobs.models import Job
from tests import factories as f
from tests.schema.live.conftest import LiveStack
from tests.support.live import publish_jobs, settled_cursor
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed")]

QUERY = """
subscription ($repo: String!, $rev: String!, $after: String) {
  pushHealthChanged(repository: $repo, revision: $rev, after: $after) {
    cursor revision pushHealth { summary { result needInvestigation } }
  }
}
"""


def _finish(job: Job, result: str) -> None:
    Job.objects.filter(id=job.id).update(state=Job.State.COMPLETED, result=result)
    job.refresh_from_db()


def test_a_push_turns_red_then_green(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    push, other = f.PushFactory(repository=repo), f.PushFactory(repository=repo)
    job = f.JobFactory(push=push, state=Job.State.RUNNING, result=Job.Result.UNKNOWN)
    elsewhere = f.JobFactory(push=other, state=Job.State.RUNNING, result=Job.Result.UNKNOWN)
    after = settled_cursor()

    async def scenario() -> list[dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("h", QUERY, {"repo": repo.name, "rev": push.revision, "after": after})
        await sync_to_async(publish_jobs)([elsewhere])  # another push: not heard
        await sync_to_async(_finish)(job, Job.Result.TESTFAILED)
        await sync_to_async(publish_jobs)([job])
        red = await client.collect(1)
        await sync_to_async(_finish)(job, Job.Result.SUCCESS)  # e.g. a retrigger that passed
        await sync_to_async(publish_jobs)([job])
        green = await client.collect(1)
        rest = await client.quiet(1.0)
        await client.close()
        return red + green + rest

    messages = asyncio.run(scenario())
    events = [m["payload"]["data"]["pushHealthChanged"] for m in messages]
    assert [(e["revision"], e["pushHealth"]["summary"]) for e in events] == [
        (push.revision, {"result": "FAIL", "needInvestigation": 1}),
        (push.revision, {"result": "PASS", "needInvestigation": 0}),
    ]


def test_unknown_push_is_an_error(live_stack: LiveStack) -> None:
    async def scenario() -> dict[str, Any]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("h", QUERY, {"repo": "nope", "rev": "0" * 40})
        error = await client.receive()
        await client.close()
        return error

    error = asyncio.run(scenario())
    assert error["type"] == "error" and error["payload"][0]["extensions"]["code"] == "NOT_FOUND"
