"""Sheriffing, live: a real WebSocket client against a real Daphne (and relay) sees each mutation's
events, and a connection whose token is revoked or expires is closed (4401) while it is open."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from websockets.exceptions import ConnectionClosed

from apps.accounts import services as accounts
from apps.accounts.identity import ANONYMOUS, principal_from_token, still_valid
from apps.accounts.models import ApiToken
from tests import factories as f
from tests.schema.live.conftest import LiveStack
from tests.support.accounts import make_token, make_user
from tests.support.graphql import graphql_post
from tests.support.live import publish_jobs, settled_cursor
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed")]

JOB_FAILURES = """subscription ($repos: [String!]!, $after: String) {
  jobFailures(repositories: $repos, unclassifiedOnly: true, after: $after) {
    kind job { databaseId failureClassification { databaseId } }
  }
}"""
JOB_CHANGED = """subscription ($repo: String!, $after: String) {
  jobChanged(repository: $repo, after: $after) {
    changed job { databaseId failureClassification { databaseId } notes { who text } }
  }
}"""
PUSH_CHANGED = """subscription ($repo: String!, $after: String) {
  pushChanged(repository: $repo, after: $after) { push { databaseId status { testfailed } } }
}"""
CLASSIFY = """mutation ($jobs: [Int!]!) {
  classifyJobs(input: {jobIds: $jobs, classificationId: 4, text: "intermittent, bug 123"}) {
    __typename ... on JobsClassified { notes { who } }
  }
}"""
PUSH_STATUS = (
    "query ($repo: String!, $rev: String!) { push(repository: $repo, revision: $rev) { status { testfailed } } }"
)


def _bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def _by_id(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        found.setdefault(message.get("id", ""), []).append(message)
    return found


def test_a_classification_reaches_every_live_view(sheriff_stack: LiveStack) -> None:
    bot_user = make_user("live-bot", password=None)
    raw = make_token(bot_user, "classify")
    repo = f.RepositoryFactory()
    job = f.JobFactory(push=f.PushFactory(repository=repo), result="testfailed")
    after = settled_cursor()
    status_before = graphql_post(sheriff_stack.url, PUSH_STATUS, {"repo": repo.name, "rev": job.push.revision})
    status_before = status_before.json()["data"]

    async def scenario() -> list[dict[str, Any]]:
        bot = await GraphQLWS.connect(sheriff_stack.url, params=_bearer(raw))
        variables = {"repos": [repo.name], "repo": repo.name, "after": after}
        await bot.subscribe("failures", JOB_FAILURES, variables)
        await bot.subscribe("jobs", JOB_CHANGED, variables)
        await bot.subscribe("pushes", PUSH_CHANGED, variables)
        await bot.subscribe("classify", CLASSIFY, {"jobs": [job.id]})  # a mutation over the socket
        messages = await bot.collect(5)
        messages += await bot.quiet(0.5)
        await bot.close()
        return messages

    got = _by_id(asyncio.run(scenario()))

    assert status_before == {"push": {"status": {"testfailed": 1}}}
    assert [m["type"] for m in got["classify"]] == ["next", "complete"]
    assert got["classify"][0]["payload"]["data"]["classifyJobs"] == {
        "__typename": "JobsClassified",
        "notes": [{"who": "live-bot@example.com"}],
    }
    assert [m["payload"]["data"]["jobFailures"] for m in got["failures"]] == [
        {"kind": "CLASSIFIED", "job": {"databaseId": job.id, "failureClassification": {"databaseId": 4}}}
    ]
    assert [m["payload"]["data"]["jobChanged"] for m in got["jobs"]] == [
        {
            "changed": ["notes", "failure_classification"],
            "job": {
                "databaseId": job.id,
                "failureClassification": {"databaseId": 4},
                "notes": [{"who": "live-bot@example.com", "text": "intermittent, bug 123"}],
            },
        }
    ]
    # The push's unclassified failure left its status counts.
    assert [m["payload"]["data"]["pushChanged"] for m in got["pushes"]] == [
        {"push": {"databaseId": job.push_id, "status": {"testfailed": 0}}}
    ]


async def _closed(client: GraphQLWS, timeout: float = 15.0) -> int | None:
    """Wait for the server to close the socket (answering pings meanwhile); its close code. (Daphne
    does not pass the close reason on, so only the code reaches a client.)"""
    try:
        while True:
            await client.receive(timeout=timeout)
    except ConnectionClosed:
        pass
    return client.ws.close_code


def test_revoking_a_token_closes_its_open_subscriptions(sheriff_stack: LiveStack) -> None:
    user = make_user("live-revoked", password=None)
    raw = make_token(user, "read")
    token = ApiToken.objects.get(user=user)
    repo = f.RepositoryFactory()
    job = f.JobFactory(push=f.PushFactory(repository=repo))
    after = settled_cursor()

    async def scenario() -> tuple[dict[str, Any], int | None, int | None]:
        client = await GraphQLWS.connect(sheriff_stack.url, params=_bearer(raw))
        await client.subscribe("jobs", JOB_CHANGED, {"repo": repo.name, "after": after})
        await sync_to_async(publish_jobs)([job])
        first = await client.next_data("jobs")  # the subscription works while the token is good
        await sync_to_async(accounts.api_token_revoke)(user=user, token_id=token.id)
        closed = await _closed(client)
        again = await GraphQLWS.connect(sheriff_stack.url, init=False)
        await again.send({"type": "connection_init", "payload": _bearer(raw)})
        refused = await _closed(again)
        return first, closed, refused

    first, closed, refused = asyncio.run(scenario())

    assert first["data"]["jobChanged"]["job"]["databaseId"] == job.id
    assert closed == 4401
    assert refused == 4403


def test_a_token_expiring_closes_its_open_subscriptions_and_nothing_is_delivered_after(
    sheriff_stack: LiveStack,
) -> None:
    user = make_user("live-expiring", password=None)
    raw = make_token(user, "read")
    expires = timezone.now() + datetime.timedelta(seconds=2)
    ApiToken.objects.filter(user=user).update(expires_at=expires)
    repo = f.RepositoryFactory()
    job = f.JobFactory(push=f.PushFactory(repository=repo))
    after = settled_cursor()

    async def scenario() -> tuple[list[dict[str, Any]], int | None]:
        client = await GraphQLWS.connect(sheriff_stack.url, params=_bearer(raw))
        await client.subscribe("jobs", JOB_CHANGED, {"repo": repo.name, "after": after})
        await asyncio.sleep(max(0.0, (expires - timezone.now()).total_seconds()))
        await sync_to_async(publish_jobs)([job])  # after the expiry: must not reach the client
        received: list[dict[str, Any]] = []
        try:
            while True:
                received.append(await client.receive(timeout=15))
        except ConnectionClosed:
            pass
        return received, client.ws.close_code

    received, code = asyncio.run(scenario())
    assert received == []
    assert code == 4401


def test_a_bad_token_is_refused_at_connection_init_and_anonymous_is_accepted(sheriff_stack: LiveStack) -> None:
    async def scenario() -> tuple[int | None, str]:
        bad = await GraphQLWS.connect(sheriff_stack.url, init=False)
        await bad.send({"type": "connection_init", "payload": _bearer("thp_not-a-token")})
        refused = await _closed(bad)
        anonymous = await GraphQLWS.connect(sheriff_stack.url)
        await anonymous.subscribe("me", "{ me { username } }")
        me = await anonymous.next_data("me")
        await anonymous.close()
        return refused, str(me["data"])

    refused, me = asyncio.run(scenario())
    assert refused == 4403
    assert me == "{'me': None}"


@pytest.mark.django_db
def test_still_valid_answers_for_each_principal() -> None:
    # (In-process, and needing the database: running this module alone still sets up the test
    # database, which the module's stack uses.)
    user = make_user("revalidated", password=None)
    good, revoked, expiring = (principal_from_token(make_token(user, "read")) for _ in range(3))
    accounts.api_token_revoke(user=user, token_id=revoked.token_id)
    ApiToken.objects.filter(id=expiring.token_id).update(expires_at=timezone.now())

    assert still_valid([good, ANONYMOUS, revoked, expiring]) == [True, True, False, False]
