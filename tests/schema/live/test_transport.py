"""The WebSocket transport as clients see it: resume with a cursor, slow and silent clients, protocol
errors, origins, the connection_init hook, and the real `gql` client on both protocols."""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from apps.core.metrics import metrics_snapshot
from apps.live.models import Event
from apps.live.retention import prune_events
from tests import factories as f
from tests.schema.live.conftest import LiveStack
from tests.support.live import publish_jobs, settled_cursor
from tests.support.workers import wait_for
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed")]

JOB_CHANGED = """
subscription ($repo: String!, $after: String) {
  jobChanged(repository: $repo, after: $after) { cursor job { guid } }
}
"""


def _cursor(message: dict[str, Any]) -> int:
    return int(message["payload"]["data"]["jobChanged"]["cursor"])


def test_reconnect_with_cursor_misses_nothing_and_repeats_nothing(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    jobs = [f.JobFactory(push=f.PushFactory(repository=repo)) for _ in range(3)]
    after = settled_cursor()
    total = 300
    publisher_done = threading.Event()

    def publish_steadily() -> None:
        for i in range(total):
            publish_jobs([jobs[i % 3]])
        publisher_done.set()

    async def scenario() -> list[int]:
        seen: list[int] = []
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("s", JOB_CHANGED, {"repo": repo.name, "after": after})
        publisher = threading.Thread(target=publish_steadily)
        publisher.start()
        while len(seen) < 50:
            seen.append(_cursor(await client.receive()))
        await client.close()  # gone while ingestion goes on
        await asyncio.sleep(1.0)
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("s", JOB_CHANGED, {"repo": repo.name, "after": str(seen[-1])})
        while len(seen) < total:
            seen.append(_cursor(await client.receive(timeout=30)))
        seen += [_cursor(m) for m in await client.quiet(1.0)]
        await client.close()
        await asyncio.to_thread(publisher.join)
        return seen

    seen = asyncio.run(scenario())

    assert publisher_done.is_set()
    committed = list(Event.objects.filter(repository_id=repo.id).order_by("seq").values_list("seq", flat=True))
    assert len(committed) == total
    assert seen == committed  # every event, in order, exactly once


def test_a_client_that_stops_reading_is_cut_off(live_stack: LiveStack) -> None:
    """The server stops sending at LIVE_MAX_UNACKED_BYTES (256 KiB in the test settings) or when its
    ping goes unanswered for LIVE_PONG_TIMEOUT_SECONDS, whichever comes first, and closes the socket.
    (The close frame itself may never reach a client whose buffers are full: then it sees the
    connection drop.)"""
    repo = f.RepositoryFactory()
    job = f.JobFactory(push=f.PushFactory(repository=repo))
    settled_cursor()
    aliases = " ".join(f"c{i}: cursor" for i in range(25))  # ~300 bytes an event, no database reads
    query = f'subscription {{ jobChanged(repository: "{repo.name}") {{ {aliases} }} }}'

    async def scenario() -> tuple[int, int | None]:
        client = await GraphQLWS.connect(live_stack.url, max_queue=4)
        await client.subscribe("s", query)
        await asyncio.sleep(0.5)
        for _ in range(6):
            await sync_to_async(publish_jobs)([job] * 500)
        await asyncio.sleep(8)  # the client reads nothing meanwhile, answers no ping
        received = 0
        try:
            while True:
                received += len(await client.ws.recv())
        except websockets.ConnectionClosed as closed:
            return received, closed.rcvd.code if closed.rcvd else None

    log_before = live_stack.daphne.log()
    received, code = asyncio.run(scenario())

    assert code in (4001, 4002, None)  # None: dropped before the close frame could be read
    assert received < 256 * 1024 + 64 * 1024  # the limit, plus what was in flight when it was hit
    server_log = live_stack.daphne.log()[len(log_before) :]
    assert "closing a slow consumer" in server_log or "closing a silent client" in server_log


def test_a_client_that_never_answers_pings_is_closed(live_stack: LiveStack) -> None:
    async def scenario() -> int | None:
        client = await GraphQLWS.connect(live_stack.url)
        try:
            while True:
                await asyncio.wait_for(client.ws.recv(), 10)  # reads, never pongs
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    assert asyncio.run(scenario()) == 4001


def test_a_client_that_answers_pings_stays(live_stack: LiveStack) -> None:
    async def scenario() -> list[dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url)
        quiet = await client.quiet(5.0)  # 5 pings answered by the helper, nothing else
        await client.subscribe("q", "{ liveCursor }")
        answer = await client.collect(1)
        await client.close()
        return quiet + answer

    messages = asyncio.run(scenario())
    assert [m["type"] for m in messages] == ["next"]


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([], 4408),  # no connection_init within LIVE_INIT_TIMEOUT_SECONDS
        ([{"id": "1", "type": "subscribe", "payload": {"query": "{ liveCursor }"}}], 4401),
        ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
        ([{"type": "connection_init"}, "not json"], 4400),
        ([{"type": "connection_init"}, {"type": "unheard-of"}], 4400),
        ([{"type": "connection_init", "payload": "not an object"}], 4400),
        (
            [
                {"type": "connection_init"},
                {"id": "1", "type": "subscribe", "payload": {"query": JOB_CHANGED, "variables": {"repo": "try"}}},
                {"id": "1", "type": "subscribe", "payload": {"query": JOB_CHANGED, "variables": {"repo": "try"}}},
            ],
            4409,
        ),
    ],
)
def test_protocol_violations_close_with_the_protocol_codes(
    live_stack: LiveStack, messages: list[Any], code: int
) -> None:
    async def scenario() -> int | None:
        client = await GraphQLWS.connect(live_stack.url, init=False)
        for message in messages:
            await client.ws.send(message if isinstance(message, str) else json.dumps(message))
        try:
            while True:
                await asyncio.wait_for(client.ws.recv(), 10)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    assert asyncio.run(scenario()) == code


def test_a_syntax_error_fails_only_its_operation(live_stack: LiveStack) -> None:
    async def scenario() -> list[dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("bad", "subscription { jobChanged(repository: ")
        error = await client.receive()
        await client.subscribe("good", "{ liveCursor }")
        good = await client.collect(2)
        await client.close()
        return [error, *good]

    error, good, complete = asyncio.run(scenario())
    assert error["id"] == "bad" and error["type"] == "error"
    assert "Syntax Error" in error["payload"][0]["message"]
    assert (good["id"], good["type"], complete["type"]) == ("good", "next", "complete")


def test_a_legacy_start_before_connection_init_closes_the_socket(live_stack: LiveStack) -> None:
    """The first known WebSocket attack, in the legacy protocol: an operation before the handshake."""

    async def scenario() -> int | None:
        client = await GraphQLWS.connect(live_stack.url, protocol="graphql-ws", init=False)
        await client.subscribe("1", JOB_CHANGED, {"repo": "try"})
        try:
            while True:
                await asyncio.wait_for(client.ws.recv(), 10)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    assert asyncio.run(scenario()) == 4401


def test_a_subscribe_flood_past_the_per_socket_limit_is_refused_per_operation(live_stack: LiveStack) -> None:
    """The second known attack: more subscriptions than one socket may hold (MAX_OPERATIONS, 100).
    Each one past the limit gets an error and nothing runs for it; the socket and the others stay."""

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        client = await GraphQLWS.connect(live_stack.url)
        for n in range(1, 103):
            await client.subscribe(str(n), JOB_CHANGED, {"repo": "try"})
        refused = await client.collect(2)
        await client.complete("1")  # one slot free again: an operation runs
        await client.subscribe("again", "{ liveCursor }")
        accepted = await client.collect(2)
        await client.close()
        return refused, accepted

    refused, accepted = asyncio.run(scenario())
    assert refused == [
        {"id": str(n), "type": "error", "payload": [{"message": "Too many operations on this connection"}]}
        for n in (101, 102)
    ]
    assert [(m["id"], m["type"]) for m in accepted] == [("again", "next"), ("again", "complete")]


@pytest.mark.parametrize(
    ("origin", "admitted"),
    [(None, True), ("same", True), ("https://evil.example.com", False), ("http://localhost:1", False)],
)
def test_origin_check(live_stack: LiveStack, origin: str | None, admitted: bool) -> None:
    if origin == "same":
        origin = live_stack.url

    async def scenario() -> bool:
        try:
            client = await GraphQLWS.connect(live_stack.url, origin=origin)
        except websockets.InvalidStatus as refused:
            assert refused.response.status_code == 403
            return False
        await client.close()
        return True

    assert asyncio.run(scenario()) is admitted


@pytest.mark.parametrize(("protocol", "token", "accepted"), [
    ("graphql-transport-ws", "good-token", True),
    ("graphql-transport-ws", "bad-token", False),
    ("graphql-ws", "good-token", True),
    ("graphql-ws", "bad-token", False),
])  # fmt: skip
def test_connection_init_payload_reaches_the_authentication_hook(
    live_stack: LiveStack, protocol: str, token: str, accepted: bool
) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], int | None]:
        client = await GraphQLWS.connect(live_stack.url, protocol=protocol, init=False)
        await client.send({"type": "connection_init", "payload": {"token": token}})
        received: list[dict[str, Any]] = []
        try:
            received.append(await client.receive())
            if received[-1]["type"] == "connection_error":
                received.append(await client.receive())
        except websockets.ConnectionClosed as closed:
            return received, closed.rcvd.code if closed.rcvd else None
        await client.close()
        return received, None

    received, code = asyncio.run(scenario())
    if accepted:
        assert [m["type"] for m in received] == ["connection_ack"] and code is None
    else:
        assert code == 4403
        if protocol == "graphql-ws":
            assert received[0] == {"type": "connection_error", "payload": {"message": "bad token"}}


def test_expired_and_unknown_cursors_are_errors_that_say_where_to_resume(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    job = f.JobFactory(push=f.PushFactory(repository=repo))
    old = settled_cursor()
    for _ in range(3):
        publish_jobs([job])
    head = settled_cursor()
    future = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2)
    assert prune_events(now=future, keep_hours=24, keep_min_events=1) > 0

    async def scenario(after: str) -> dict[str, Any]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("s", JOB_CHANGED, {"repo": repo.name, "after": after})
        message = await client.receive()
        await client.close()
        return message

    expired = asyncio.run(scenario(old))
    assert expired["type"] == "error"
    assert expired["payload"][0]["extensions"] == {"code": "CURSOR_EXPIRED", "cursor": head}

    unknown = asyncio.run(scenario(str(int(head) + 10_000)))
    assert unknown["payload"][0]["extensions"]["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize(
    "subprotocol", [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]
)
def test_gql_client(live_stack: LiveStack, subprotocol: str) -> None:
    """The `gql` client, pinned to graphql-transport-ws, and once on the legacy graphql-ws protocol."""
    repo = f.RepositoryFactory()
    job = f.JobFactory(push=f.PushFactory(repository=repo))
    after = settled_cursor()

    async def scenario() -> list[dict[str, Any]]:
        url = live_stack.url.replace("http://", "ws://") + "/graphql"
        transport = WebsocketsTransport(url=url, subprotocols=[subprotocol])
        results: list[dict[str, Any]] = []
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            assert transport.subprotocol == subprotocol
            request = gql(JOB_CHANGED)
            request.variable_values = {"repo": repo.name, "after": after}
            subscription = session.subscribe(request)
            await sync_to_async(publish_jobs)([job])
            async for result in subscription:
                results.append(result)
                break
        return results

    results = asyncio.run(scenario())
    assert results == [{"jobChanged": {"cursor": settled_cursor(), "job": {"guid": job.guid}}}]


def test_resumed_subscriptions_end_up_sharing_one_execution(live_stack: LiveStack) -> None:
    """Twenty clients resume from the same cursor (the recommended pattern): each replays on its own,
    then joins one shared execution; every event still arrives once, in order."""
    repo = f.RepositoryFactory()
    job = f.JobFactory(push=f.PushFactory(repository=repo))
    publish_jobs([job])
    after = settled_cursor()
    shared_before = _resumed_shared()

    async def scenario() -> list[list[int]]:
        clients = [await GraphQLWS.connect(live_stack.url) for _ in range(20)]
        for client in clients:
            await client.subscribe("s", JOB_CHANGED, {"repo": repo.name, "after": after})
        inboxes = [client.collect_in_background() for client in clients]
        for _ in range(6):
            await sync_to_async(publish_jobs)([job])
            await asyncio.sleep(0.3)
        await asyncio.to_thread(
            wait_for, lambda: _resumed_shared() - shared_before == 20, timeout=30, what="all 20 to share"
        )
        await sync_to_async(publish_jobs)([job])
        await asyncio.sleep(1.0)
        for client in clients:
            await client.close()
        return [[_cursor(m) for m in inbox] for inbox in inboxes]

    received = asyncio.run(scenario())
    committed = list(Event.objects.filter(repository_id=repo.id, seq__gt=int(after)).values_list("seq", flat=True))
    assert len(committed) == 7
    assert received == [sorted(committed)] * 20


def _resumed_shared() -> int:
    return sum(v for k, v in metrics_snapshot().items() if k.startswith("live_resumed_subscriptions_shared"))


def test_a_document_over_the_token_limit_fails_alone(live_stack: LiveStack) -> None:
    huge = "subscription { " + " ".join(f"a{i}: liveCursor" for i in range(20_000)) + " }"

    async def scenario() -> list[dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("huge", huge)
        error = await client.receive()
        await client.subscribe("q", "{ liveCursor }")
        answer = await client.receive()
        await client.close()
        return [error, answer]

    error, answer = asyncio.run(scenario())
    assert error["type"] == "error" and "token" in error["payload"][0]["message"].lower()
    assert answer["type"] == "next"


def test_unknown_push_and_never_issued_cursor_are_errors(live_stack: LiveStack) -> None:
    repo = f.RepositoryFactory()
    other = f.PushFactory()  # another repository's push
    job = f.JobFactory(push=f.PushFactory(repository=repo))
    publish_jobs([job])
    publish_jobs([job])
    head = int(settled_cursor())
    query = """
      subscription ($repo: String!, $push: Int, $after: String) {
        jobChanged(repository: $repo, pushId: $push, after: $after) { cursor }
      }
    """

    async def scenario(variables: dict[str, Any]) -> dict[str, Any]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.subscribe("s", query, {"repo": repo.name, **variables})
        message = await client.receive()
        await client.close()
        return message

    wrong_push = asyncio.run(scenario({"push": other.id}))
    assert wrong_push["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    issued = set(Event.objects.values_list("seq", flat=True))
    never_issued = next(n for n in range(head - 1, 0, -1) if n not in issued) if len(issued) < head else None
    for cursor in filter(None, [never_issued, "²", "-1"]):
        message = asyncio.run(scenario({"after": str(cursor)}))
        assert message["payload"][0]["extensions"]["code"] == "INVALID_CURSOR", (cursor, message)
