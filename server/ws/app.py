"""The ASGI application for GraphQL over WebSocket at /graphql (Daphne routes websocket scopes here)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from weakref import WeakSet

from apps.core.metrics import WEBSOCKETS_OPEN
from server.ws import protocols
from server.ws.connection import Connection
from server.ws.origin import handshake_allowed

logger = logging.getLogger(__name__)

GRAPHQL_PATHS = ("/graphql", "/graphql/")


class _Ticker:
    """One task per process drives every connection's timeouts and keepalive pings."""

    def __init__(self) -> None:
        self.connections: WeakSet[Connection] = WeakSet()
        self._task: asyncio.Task[None] | None = None

    def add(self, connection: Connection) -> None:
        self.connections.add(connection)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self.connections:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for connection in list(self.connections):
                try:
                    await connection.tick(now)
                except Exception:
                    logger.debug("keepalive tick failed", exc_info=True)


TICKER = _Ticker()


class GraphQLWebSocketApp:
    def __init__(self, schema: Any) -> None:
        self.schema = schema

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            raise ValueError("GraphQLWebSocketApp serves WebSocket scopes only")
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if scope.get("path") not in GRAPHQL_PATHS or not handshake_allowed(scope):
            await send({"type": "websocket.close", "code": 403})  # refused handshake: HTTP 403
            return
        protocol = protocols.choose(list(scope.get("subprotocols") or []))
        if protocol is None:
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 4406, "reason": "Subprotocol not acceptable"})
            return
        await send({"type": "websocket.accept", "subprotocol": protocol.name})
        connection = Connection(scope, send, protocol, self.schema)
        TICKER.add(connection)
        WEBSOCKETS_OPEN.inc()
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message["type"] == "websocket.receive":
                    text = message.get("text")
                    if text is None and message.get("bytes") is not None:
                        text = message["bytes"].decode("utf-8", errors="replace")
                    await connection.receive_text(text or "")
                    if connection.closed:
                        break
        finally:
            WEBSOCKETS_OPEN.dec()
            connection.closed = True
            connection.stop_all()
