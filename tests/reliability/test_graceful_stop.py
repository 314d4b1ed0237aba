"""A graceful Daphne stop (SIGTERM) closes every GraphQL WebSocket with 1001 "going away".

Before, the process exited without a close frame: clients saw a dropped TCP connection, the same as
a crash, and waited out their backoff. A real Daphne, real clients with subscriptions open (both
protocols), SIGTERM: each client receives a close frame with code 1001 and the reason, and the
process exits cleanly.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests import factories as f
from tests.support.processes import run_daphne
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow]

LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}

JOB_CHANGED = """
subscription ($repo: String!) {
  jobChanged(repository: $repo) { cursor changed job { guid } }
}
"""


async def _closed(client: GraphQLWS) -> tuple[int | None, str | None]:
    """Read until the server closes; the code and reason of the close frame it sent (None: none)."""
    try:
        while True:
            await asyncio.wait_for(client.ws.recv(), 30)
    except websockets.ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, None)


def test_sigterm_closes_every_websocket_with_1001(transactional_db: None, tmp_path: Path) -> None:
    repo = f.RepositoryFactory()
    with run_daphne(tmp_path, env=LIVE_SETTINGS) as daphne:

        async def scenario() -> list[tuple[int | None, str | None]]:
            clients = [
                await GraphQLWS.connect(daphne.url),
                await GraphQLWS.connect(daphne.url),
                await GraphQLWS.connect(daphne.url, protocol="graphql-ws"),
            ]
            for client in clients:
                await client.subscribe("1", JOB_CHANGED, {"repo": repo.name})
            # Each subscription is live: a query on the same socket answers after it started.
            for client in clients:
                await client.subscribe("q", "query { __typename }")
                answer: dict[str, Any] = await client.receive()
                assert answer["id"] == "q" and answer["payload"]["data"] == {"__typename": "Query"}, answer
            daphne.process.send_signal(signal.SIGTERM)
            return list(await asyncio.gather(*(_closed(client) for client in clients)))

        closes = asyncio.run(scenario())
        exit_code = daphne.process.wait(timeout=30)

    assert closes == [(1001, "Server restarting: reconnect")] * 3, daphne.log()[-3000:]
    assert exit_code == 0, daphne.log()[-3000:]
