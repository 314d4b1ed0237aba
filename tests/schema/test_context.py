"""The context contract subscriptions build on: Context() outside a request, fresh loaders made on
first use, and loader rows that a field typed Job / Push wraps in its type."""

from __future__ import annotations

import pytest
import strawberry
from asgiref.sync import async_to_sync, sync_to_async

from apps.jobs.models import Job as JobModel
from schema.context import Context
from schema.info import Info
from schema.jobs.dataloaders import JobByIdLoader
from schema.jobs.types import Job
from schema.loading import SelectorLoader
from schema.pushes.dataloaders import PushByIdLoader
from schema.pushes.types import Push
from schema.schema import CONFIG
from tests.factories import JobFactory, TaskclusterMetadataFactory


@strawberry.type
class EventQuery:
    @strawberry.field
    async def changed_job(self, info: Info, job_id: int) -> Job | None:
        row = await JobByIdLoader.of(info).load(job_id)
        return Job.from_model(row) if row else None

    @strawberry.field
    async def changed_push(self, info: Info, push_id: int) -> Push | None:
        row = await PushByIdLoader.of(info).load(push_id)
        return Push.from_model(row) if row else None


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

    async def one_event_then_another() -> tuple[JobModel | None, JobModel | None, JobModel | None]:
        before = await first.loaders.get(JobByIdLoader).load(job.id)
        await sync_to_async(JobModel.objects.filter(id=job.id).update)(state=JobModel.State.COMPLETED)
        cached = await first.loaders.get(JobByIdLoader).load(job.id)
        fresh = await Context().loaders.get(JobByIdLoader).load(job.id)
        return before, cached, fresh

    before, cached, fresh = async_to_sync(one_event_then_another)()

    assert before is not None and cached is not None and fresh is not None
    assert first.request is None
    assert (before.state, cached.state, fresh.state) == ("running", "running", "completed")


def test_a_loader_is_made_once_per_context_on_first_use() -> None:
    loaders = Context().loaders

    assert loaders.get(JobByIdLoader) is loaders.get(JobByIdLoader)
    assert loaders.get(JobByIdLoader) is not Context().loaders.get(JobByIdLoader)


def test_a_loader_that_builds_types_is_refused_at_import() -> None:
    with pytest.raises(TypeError, match="loaders return what their selector returns"):

        class JobTypeBuildingLoader(SelectorLoader[int, object]):
            def build(self, row: object) -> object:
                return row
