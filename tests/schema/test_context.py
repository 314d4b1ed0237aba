"""The context contract subscriptions build on: Context() outside a request, fresh loaders, and
job_by_id / push_by_id results that a field typed Job / Push returns as they are."""

from __future__ import annotations

import strawberry
from asgiref.sync import async_to_sync, sync_to_async

from apps.jobs.models import Job as JobModel
from schema.context import Context
from schema.info import Info
from schema.jobs.types import Job
from schema.pushes.types import Push
from schema.schema import CONFIG
from tests.factories import JobFactory, TaskclusterMetadataFactory


@strawberry.type
class EventQuery:
    @strawberry.field
    async def changed_job(self, info: Info, job_id: int) -> Job | None:
        return await info.context.loaders.job_by_id.load(job_id)

    @strawberry.field
    async def changed_push(self, info: Info, push_id: int) -> Push | None:
        return await info.context.loaders.push_by_id.load(push_id)


def test_loaders_outside_a_request_feed_job_and_push_fields(reference_data: None) -> None:
    job = JobFactory(result=JobModel.Result.TESTFAILED)
    TaskclusterMetadataFactory(job=job, task_id="A35mWTRuQmyj88yMnIF0fA")
    schema = strawberry.Schema(query=EventQuery, config=CONFIG)
    query = """
      query ($job: Int!, $push: Int!) {
        changedJob(jobId: $job) { guid taskId result jobType { symbol } push { revision status { testfailed } } }
        changedPush(pushId: $push) { revision jobs { nodes { databaseId } } }
      }
    """

    result = async_to_sync(schema.execute)(
        query, variable_values={"job": job.id, "push": job.push_id}, context_value=Context()
    )

    assert result.errors is None
    assert result.data == {
        "changedJob": {
            "guid": job.guid,
            "taskId": "A35mWTRuQmyj88yMnIF0fA",
            "result": "TESTFAILED",
            "jobType": {"symbol": job.job_type.symbol},
            "push": {"revision": job.push.revision, "status": {"testfailed": 1}},
        },
        "changedPush": {"revision": job.push.revision, "jobs": {"nodes": [{"databaseId": job.id}]}},
    }


def test_each_context_has_fresh_loaders(reference_data: None) -> None:
    job = JobFactory(state=JobModel.State.RUNNING)
    first = Context()

    async def one_event_then_another() -> tuple[Job | None, Job | None, Job | None]:
        before = await first.loaders.job_by_id.load(job.id)
        await sync_to_async(JobModel.objects.filter(id=job.id).update)(state=JobModel.State.COMPLETED)
        cached = await first.loaders.job_by_id.load(job.id)
        fresh = await Context().loaders.job_by_id.load(job.id)
        return before, cached, fresh

    before, cached, fresh = async_to_sync(one_event_then_another)()

    assert before is not None and cached is not None and fresh is not None
    assert first.request is None
    assert (before.state.value, cached.state.value, fresh.state.value) == ("running", "running", "completed")
