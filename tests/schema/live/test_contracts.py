"""Contract tests: for every event type, what a subscriber receives equals re-querying the object
over HTTP with the same selection ("stale state + events == fresh state", Zulip's verify_action)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from tests import factories as f
from tests.schema.live.conftest import LiveStack
from tests.support.graphql import graphql_post
from tests.support.live import publish_jobs, publish_push, settled_cursor
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed")]

JOB_FIELDS = """
fragment JobFields on Job {
  id databaseId guid taskId retryId state result tier who reason submitTime startTime endTime lastModified
  optionCollectionHash duration options signature
  jobType { name symbol } jobGroup { name symbol } platform { platform osName architecture }
  buildPlatform { platform } machine { name } failureClassification { databaseId name }
  logs { name url parseStatus } textLogErrors { line lineNumber newFailure }
  notes { text who failureClassification { name } } bugLinks { who bug { summary } }
  push { revision author status { completed testfailed success } } repository { name }
}
"""

PUSH_FIELDS = """
fragment PushFields on Push {
  id databaseId revision author time lastModified commitCount
  commits { revision author comments }
  status { completed pending running unscheduled success testfailed busted exception retry usercancel
           superseded coalesced unknown }
  repository { name }
}
"""


def _rich_job(repo: Any) -> Any:
    push = f.PushFactory(repository=repo)
    f.CommitFactory(push=push)
    job = f.JobFactory(push=push, result="testfailed")
    f.TaskclusterMetadataFactory(job=job)
    f.JobLogFactory(job=job)
    f.TextLogErrorFactory(job=job)
    f.JobNoteFactory(job=job)
    f.BugJobMapFactory(job=job)
    f.JobFactory(push=push, state="running", result="unknown")
    return job


def _subscribe_then_publish(
    live_stack: LiveStack, query: str, variables: dict[str, Any], publish: Any
) -> dict[str, Any]:
    async def scenario() -> dict[str, Any]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("s", query, variables)
        await sync_to_async(publish)()
        payload = await client.next_data("s")
        await client.close()
        return payload

    payload = asyncio.run(scenario())
    assert "errors" not in payload, payload
    return payload["data"]


def test_job_changed_event_equals_requerying_the_job(live_stack: LiveStack) -> None:
    job = _rich_job(f.RepositoryFactory())
    query = (
        JOB_FIELDS
        + """
      subscription ($repo: String!, $after: String) {
        jobChanged(repository: $repo, after: $after) { cursor changed job { ...JobFields } }
      }
    """
    )
    event = _subscribe_then_publish(
        live_stack, query, {"repo": job.repository.name, "after": settled_cursor()}, lambda: publish_jobs([job])
    )["jobChanged"]

    fresh = graphql_post(live_stack.url, JOB_FIELDS + "query ($id: ID) { job(id: $id) { ...JobFields } }", {
        "id": str(job.id)
    }).json()  # fmt: skip
    assert "errors" not in fresh, fresh
    assert event["job"] == fresh["data"]["job"]
    assert event["changed"] == ["state"]
    assert event["cursor"] == settled_cursor()
    assert event["job"]["notes"] and event["job"]["bugLinks"] and event["job"]["textLogErrors"]  # a full job


def test_job_failures_event_equals_requerying_the_job(live_stack: LiveStack) -> None:
    job = _rich_job(f.RepositoryFactory())
    query = (
        JOB_FIELDS
        + """
      subscription ($repos: [String!]!, $after: String) {
        jobFailures(repositories: $repos, after: $after) { cursor kind job { ...JobFields } }
      }
    """
    )
    event = _subscribe_then_publish(
        live_stack, query, {"repos": [job.repository.name], "after": settled_cursor()}, lambda: publish_jobs([job])
    )["jobFailures"]

    fresh = graphql_post(live_stack.url, JOB_FIELDS + "query ($guid: String) { job(guid: $guid) { ...JobFields } }", {
        "guid": job.guid
    }).json()  # fmt: skip
    assert event["job"] == fresh["data"]["job"]
    assert event["kind"] == "COMPLETED"


def test_push_changed_event_equals_requerying_the_push(live_stack: LiveStack) -> None:
    job = _rich_job(f.RepositoryFactory())
    query = (
        PUSH_FIELDS
        + """
      subscription ($repo: String!, $after: String) {
        pushChanged(repository: $repo, after: $after) { cursor push { ...PushFields } }
      }
    """
    )
    event = _subscribe_then_publish(
        live_stack, query, {"repo": job.repository.name, "after": settled_cursor()}, lambda: publish_push(job.push)
    )["pushChanged"]

    fresh = graphql_post(live_stack.url, PUSH_FIELDS + "query ($id: ID) { push(id: $id) { ...PushFields } }", {
        "id": str(job.push_id)
    }).json()  # fmt: skip
    assert "errors" not in fresh, fresh
    assert event["push"] == fresh["data"]["push"]
    assert event["push"]["status"]["testfailed"] == 1 and event["push"]["status"]["running"] == 1
