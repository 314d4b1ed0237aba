"""Limits under a flood, against a real Daphne (and relay): connections per client address, sockets
that never send connection_init, and subscribers that stop reading a busy stream.

Already covered elsewhere, not repeated here: operations per connection, the init timeout's close
code and the protocol's other codes (tests/schema/live/test_transport.py), message size 1009 and
request bodies 413 (tests/schema/live/test_bad_requests.py). Memory under the flood: `bin/bench flood`.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async
from pytest_django import DjangoDbBlocker

from apps.core.metrics import metrics_snapshot
from tests import factories as f
from tests.schema.live.conftest import LIVE_SETTINGS, LiveStack, running_live_stack
from tests.support.live import publish_jobs, settled_cursor
from tests.support.workers import wait_for
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow]

LIMIT = 5
REFUSED = 'websockets_refused{reason="connections_per_address"}'


@pytest.fixture
def flood_stack(transactional_db: None, django_db_blocker: DjangoDbBlocker, tmp_path: Path) -> Iterator[LiveStack]:
    env = {**LIVE_SETTINGS, "LIVE_MAX_CONNECTIONS_PER_ADDRESS": str(LIMIT)}
    with running_live_stack(tmp_path, django_db_blocker, env) as stack:
        yield stack


async def _close_code(ws: Any, timeout: float = 15) -> tuple[int | None, str]:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")


def _url(stack: LiveStack) -> str:
    return stack.url.replace("http://", "ws://") + "/graphql"


def test_connections_past_the_per_address_limit_are_closed_with_4013(flood_stack: LiveStack) -> None:
    """LIMIT sockets from 127.0.0.1 stay open; every further one is closed at once with 4013 and a
    reason naming the limit, counted, and logged once for the whole flood; another address is not
    affected; closed sockets (also those the init timeout closes) free their places."""
    refused_before = metrics_snapshot().get(REFUSED, 0)
    log_before = len(flood_stack.daphne.log())

    async def scenario() -> dict[str, Any]:
        url = _url(flood_stack)
        protocol: Any = ["graphql-transport-ws"]
        held = [await GraphQLWS.connect(flood_stack.url) for _ in range(LIMIT)]
        inboxes = [client.collect_in_background() for client in held]  # reads, answers pings
        flood = [await websockets.connect(url, subprotocols=protocol) for _ in range(20)]
        refused = [await _close_code(ws) for ws in flood]
        # Another client address (the loopback network is all ours): admitted.
        other = await GraphQLWS.connect(flood_stack.url, local_addr=("127.0.0.2", 0))
        await other.subscribe("q", "{ liveCursor }")
        other_answer = [m["type"] for m in await other.collect(2)]
        # Two of the five leave; two sockets take their places and never send connection_init:
        # LIVE_INIT_TIMEOUT_SECONDS (3 s here) closes them with 4408, which frees the places again.
        for client in held[:2]:
            await client.close()
        silent = [await websockets.connect(url, subprotocols=protocol) for _ in range(2)]
        timed_out = [await _close_code(ws) for ws in silent]
        late = [await GraphQLWS.connect(flood_stack.url) for _ in range(2)]
        inboxes = inboxes[2:] + [client.collect_in_background() for client in late]
        for client in [*held[2:], *late]:  # the three that stayed were never disturbed
            await client.subscribe("q", "{ liveCursor }")
        for _ in range(100):
            if all(len(inbox) >= 2 for inbox in inboxes):
                break
            await asyncio.sleep(0.1)
        late_answers = [[m["type"] for m in inbox] for inbox in inboxes]
        for client in [*held[2:], *late, other]:
            await client.close()
        return {"refused": refused, "other": other_answer, "timed_out": timed_out, "late": late_answers}

    outcome = asyncio.run(scenario())

    # The close frame carries its reason (config/websocket_close.py: Daphne 4.2 alone drops it).
    assert outcome["refused"] == [(4013, "Too many connections from your address (the limit is 5)")] * 20
    assert outcome["other"] == ["next", "complete"]
    assert outcome["timed_out"] == [(4408, "Connection initialisation timeout")] * 2
    assert outcome["late"] == [["next", "complete"]] * 5
    wait_for(lambda: metrics_snapshot().get(REFUSED, 0) - refused_before == 20, timeout=10, what="20 refusals")
    log = flood_stack.daphne.log()[log_before:]
    assert log.count("refusing WebSockets from 127.0.0.1: 5 open from there") == 1


def test_every_subscriber_that_stops_reading_a_busy_stream_is_closed(
    flood_stack: LiveStack, django_db_blocker: DjangoDbBlocker
) -> None:
    """Subscribers that never read (nor answer pings) while a stream sends megabytes: each one is
    closed, by the byte bound (4002) or the pong timeout (4001), whichever the machine's timing
    reaches first; a subscriber that reads gets every event."""
    slow_count = 4  # LIMIT - 1: the reader below is the fifth socket from 127.0.0.1
    with django_db_blocker.unblock():
        repo = f.RepositoryFactory()
        job: Any = f.JobFactory(push=f.PushFactory(repository=repo))
        settled_cursor()
    aliases = " ".join(f"c{i}: cursor" for i in range(25))  # ~300 bytes an event, no database reads
    query = f'subscription {{ jobChanged(repository: "{repo.name}") {{ {aliases} }} }}'
    log_before = len(flood_stack.daphne.log())
    events = 3000

    def publish() -> None:
        with django_db_blocker.unblock():
            for _ in range(events // 500):
                publish_jobs([job] * 500)

    async def scenario() -> tuple[list[int | None], int]:
        slow = [await GraphQLWS.connect(flood_stack.url, max_queue=1) for _ in range(slow_count)]
        for client in slow:
            # Small kernel buffers on the client side, so that the server's sends back up early.
            client.ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            await client.subscribe("s", query)
        reader = await GraphQLWS.connect(flood_stack.url)
        await reader.subscribe("s", query)
        inbox = reader.collect_in_background()
        await asyncio.sleep(0.5)
        await sync_to_async(publish)()
        for _ in range(600):  # at most two minutes: a broken stream fails below instead of hanging
            if len(inbox) >= events:
                break
            await asyncio.sleep(0.2)
        codes = []
        for client in slow:
            try:
                while True:
                    await asyncio.wait_for(client.ws.recv(), 30)
            except websockets.ConnectionClosed as closed:
                codes.append(closed.rcvd.code if closed.rcvd else None)
        await reader.close()
        return codes, len(inbox)

    codes, received = asyncio.run(scenario())

    assert received == events
    assert len(codes) == slow_count and set(codes) <= {4001, 4002, None}  # None: dropped before the frame arrived
    log = flood_stack.daphne.log()[log_before:]
    assert log.count("closing a slow consumer") + log.count("closing a silent client") == slow_count
