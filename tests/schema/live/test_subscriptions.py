"""The three subscriptions and their server-side filters, over a real WebSocket against a real Daphne,
with events committed by publish() and numbered by a real relay process."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from apps.jobs.models import Job
from tests import factories as f
from tests.schema.live.conftest import LiveStack
from tests.support.live import publish_jobs, publish_push, settled_cursor
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed")]

JOB_CHANGED = """
subscription ($repo: String!, $push: Int, $filter: JobEventFilter, $after: String) {
  jobChanged(repository: $repo, pushId: $push, filter: $filter, after: $after) {
    cursor changed job { guid }
  }
}
"""

JOB_FAILURES = """
subscription ($repos: [String!]!, $tiers: [Int!], $results: [JobResult!], $unclassifiedOnly: Boolean!,
              $after: String) {
  jobFailures(repositories: $repos, tiers: $tiers, results: $results, unclassifiedOnly: $unclassifiedOnly,
              after: $after) {
    cursor kind job { guid }
  }
}
"""


def _job(push: Any, **kwargs: Any) -> Job:
    job: Job = f.JobFactory(push=push, **kwargs)
    return job


def _guids(messages: list[dict[str, Any]], op_id: str, field: str = "jobChanged") -> list[str]:
    return [m["payload"]["data"][field]["job"]["guid"] for m in messages if m.get("id") == op_id]


def test_job_changed_filters(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    push, other_push = f.PushFactory(repository=repo), f.PushFactory(repository=repo)
    linux = f.MachinePlatformFactory(platform="linux64")
    windows = f.MachinePlatformFactory(os_name="win", platform="windows11-64", architecture="x86_64")
    failed = _job(push, result="testfailed", tier=1, machine_platform=linux, job_type=f.JobTypeFactory(symbol="M1"))
    green = _job(push, result="success", tier=2, machine_platform=windows, job_type=f.JobTypeFactory(symbol="B"))
    running = _job(other_push, state="running", result="unknown", tier=1, machine_platform=linux)
    other_repo_job = _job(f.PushFactory())
    after = settled_cursor()

    subscriptions = {
        "all": {},
        "results": {"filter": {"results": ["TESTFAILED"]}},
        "tiers": {"filter": {"tiers": [2]}},
        "platforms": {"filter": {"platforms": ["windows11-64"]}},
        "symbols": {"filter": {"symbols": ["B"]}},
        "states": {"filter": {"states": ["RUNNING"]}},
        "push": {"push": other_push.id},
        "none": {"filter": {"results": ["BUSTED"]}},
    }

    async def scenario() -> list[dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url)
        for op_id, variables in subscriptions.items():
            await client.subscribe(op_id, JOB_CHANGED, {"repo": repo.name, "after": after, **variables})
        await sync_to_async(publish_jobs)([failed, green, running, other_repo_job])
        messages = await client.collect(9)
        messages += await client.quiet(1.0)
        await client.close()
        return messages

    messages = asyncio.run(scenario())

    assert _guids(messages, "all") == [failed.guid, green.guid, running.guid]
    assert _guids(messages, "results") == [failed.guid]
    assert _guids(messages, "tiers") == [green.guid]
    assert _guids(messages, "platforms") == [green.guid]
    assert _guids(messages, "symbols") == [green.guid]
    assert _guids(messages, "states") == [running.guid]
    assert _guids(messages, "push") == [running.guid]
    assert _guids(messages, "none") == []
    assert len(messages) == 9
    cursors = [int(m["payload"]["data"]["jobChanged"]["cursor"]) for m in messages if m["id"] == "all"]
    assert cursors == sorted(cursors) and cursors[0] > int(after)
    assert {m["payload"]["data"]["jobChanged"]["changed"] == ["state"] for m in messages} == {True}


def test_job_failures_kinds_and_defaults(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    push = f.PushFactory(repository=repo)
    intermittent = f.FailureClassificationFactory(id=4, name="intermittent")
    failed = _job(push, result="testfailed", tier=1)
    busted_tier2 = _job(push, result="busted", tier=2)
    green = _job(push, result="success")
    tier3 = _job(push, result="testfailed", tier=3)
    classified = _job(push, result="testfailed", failure_classification=intermittent)
    running = _job(push, state="running", result="unknown")
    exception = _job(push, result="exception")
    after = settled_cursor()

    async def scenario() -> list[dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url)
        default = {"repos": [repo.name], "unclassifiedOnly": True, "after": after}
        await client.subscribe("default", JOB_FAILURES, default)
        await client.subscribe("all", JOB_FAILURES, {**default, "unclassifiedOnly": False})
        await client.subscribe("exceptions", JOB_FAILURES, {**default, "results": ["EXCEPTION"], "tiers": [1]})
        await sync_to_async(publish_jobs)([failed, busted_tier2, green, tier3, classified, running, exception])
        await sync_to_async(publish_jobs)([failed], changed=("text_log_errors",))
        await sync_to_async(publish_jobs)([failed], changed=("failure_classification",))
        messages = await client.collect(5 + 6 + 1)
        messages += await client.quiet(1.0)
        await client.close()
        return messages

    messages = asyncio.run(scenario())

    def kinds(op_id: str) -> list[tuple[str, str]]:
        return [
            (m["payload"]["data"]["jobFailures"]["kind"], m["payload"]["data"]["jobFailures"]["job"]["guid"])
            for m in messages
            if m["id"] == op_id
        ]

    assert kinds("default") == [
        ("COMPLETED", failed.guid),
        ("COMPLETED", busted_tier2.guid),
        ("COMPLETED", exception.guid),
        ("ERRORS_READY", failed.guid),
        ("CLASSIFIED", failed.guid),
    ]
    assert kinds("all") == [
        ("COMPLETED", failed.guid),
        ("COMPLETED", busted_tier2.guid),
        ("COMPLETED", classified.guid),
        ("COMPLETED", exception.guid),
        ("ERRORS_READY", failed.guid),
        ("CLASSIFIED", failed.guid),
    ]
    assert kinds("exceptions") == [("COMPLETED", exception.guid)]


def test_push_changed_new_push_then_coalesced_status(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    push = f.PushFactory(repository=repo)
    jobs = [_job(push, state="pending", result="unknown") for _ in range(5)]
    after = settled_cursor()
    query = """
      subscription ($repo: String!, $after: String) {
        pushChanged(repository: $repo, after: $after) { cursor push { revision } }
      }
    """

    async def scenario() -> tuple[list[dict[str, Any]], float]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("p", query, {"repo": repo.name, "after": after})
        await sync_to_async(publish_push)(push)
        first = await client.collect(1)
        started = time.monotonic()
        for _ in range(40):  # 200 job changes in quick succession
            await sync_to_async(publish_jobs)(jobs)
        elapsed = time.monotonic() - started
        rest = await client.quiet(1.5)
        await client.close()
        return first + rest, elapsed

    messages, elapsed = asyncio.run(scenario())

    revisions = {m["payload"]["data"]["pushChanged"]["push"]["revision"] for m in messages}
    assert revisions == {push.revision}
    # Coalesced: at most one update per 0.25 s window while the jobs changed, plus the first and last.
    assert 2 <= len(messages) <= int(elapsed / 0.25) + 3, (len(messages), elapsed)
    cursors = [int(m["payload"]["data"]["pushChanged"]["cursor"]) for m in messages]
    assert cursors == sorted(cursors)
    assert str(cursors[-1]) == settled_cursor()  # the last update covers the last change


def test_unknown_repository_is_an_error_and_the_socket_stays_open(live_stack: LiveStack) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("bad", JOB_CHANGED, {"repo": "no-such-repository"})
        error = await client.receive()
        await client.subscribe("q", "{ liveCursor }")
        answer = await client.receive()
        await client.close()
        return error, answer

    error, answer = asyncio.run(scenario())

    assert error["type"] == "error" and error["id"] == "bad"
    assert error["payload"][0]["message"] == "Unknown repository: no-such-repository."
    assert error["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    assert answer["type"] == "next" and answer["payload"]["data"]["liveCursor"].isdigit()


def test_two_subscriptions_on_one_socket_one_ends(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    push = f.PushFactory(repository=repo)
    job = _job(push)
    settled_cursor()

    async def scenario() -> list[dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url)
        # The same document twice (one shared execution) and a different one, on one socket.
        await client.subscribe("a", JOB_CHANGED, {"repo": repo.name})
        await client.subscribe("b", JOB_CHANGED, {"repo": repo.name})
        await client.subscribe("c", JOB_CHANGED, {"repo": repo.name, "filter": {"tiers": [1]}})
        await asyncio.sleep(0.5)  # no cursor: let the subscriptions go live first
        await sync_to_async(publish_jobs)([job])
        first = await client.collect(3)
        await client.complete("a")
        await client.complete("c")
        await asyncio.sleep(0.2)
        await sync_to_async(publish_jobs)([job], changed=("tier",))
        second = await client.collect(1)
        second += await client.quiet(1.0)
        await client.close()
        return [*first, {"marker": True}, *second]

    messages = asyncio.run(scenario())
    marker = messages.index({"marker": True})
    assert sorted(m["id"] for m in messages[:marker]) == ["a", "b", "c"]
    assert [(m["id"], m["payload"]["data"]["jobChanged"]["changed"]) for m in messages[marker + 1 :]] == [
        ("b", ["tier"])
    ]
