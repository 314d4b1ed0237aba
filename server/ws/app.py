"""The ASGI application for GraphQL over WebSocket at /graphql (Daphne routes websocket scopes here)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from weakref import WeakSet

from django.conf import settings

from apps.core.metrics import WEBSOCKETS_OPEN
from server.ws import auth, protocols
from server.ws.admission import ADMISSION, CLOSE_TOO_MANY_CONNECTIONS, client_address, refusal_reason
from server.ws.connection import CLOSE_CREDENTIALS_ENDED, CLOSE_GOING_AWAY, Connection
from server.ws.origin import handshake_allowed

logger = logging.getLogger(__name__)

# How long a stopping process waits for a client to answer its 1001 close frame before it lets
# Daphne drop the socket (the frame itself is on the wire by then).
GOING_AWAY_WAIT_SECONDS = 2.0

GRAPHQL_PATHS = ("/graphql", "/graphql/")


class _Ticker:
    """One task per process drives every connection's timeouts and keepalive pings, and re-checks
    the credentials of authenticated connections (one batched check per LIVE_REAUTH_SECONDS)."""

    def __init__(self) -> None:
        self.connections: WeakSet[Connection] = WeakSet()
        self._task: asyncio.Task[None] | None = None
        self._reauth_at = 0.0

    def add(self, connection: Connection) -> None:
        self.connections.add(connection)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while self.connections:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            if now - self._reauth_at >= settings.LIVE_REAUTH_SECONDS:
                self._reauth_at = now
                await self._revalidate()
            for connection in list(self.connections):
                try:
                    await connection.tick(now)
                except Exception:
                    logger.debug("keepalive tick failed", exc_info=True)

    async def _revalidate(self) -> None:
        authenticated = [c for c in self.connections if c.user is not None and not c.closed]
        if not authenticated:
            return
        try:
            verdicts = await auth.revalidate([c.user for c in authenticated])
        except Exception:
            # Fail closed would drop every bot on a database blip; the next round retries.
            logger.warning("re-checking connection credentials failed", exc_info=True)
            return
        for connection, valid in zip(authenticated, verdicts, strict=True):
            if not valid:
                logger.info("closing a connection whose credentials were revoked or expired")
                await connection.close(CLOSE_CREDENTIALS_ENDED, "Unauthorized: credentials revoked or expired")


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
        address = client_address(scope)
        if not ADMISSION.admit(address):
            await send({"type": "websocket.accept", "subprotocol": protocol.name})
            await send({"type": "websocket.close", "code": CLOSE_TOO_MANY_CONNECTIONS, "reason": refusal_reason()})
            return
        try:
            await self._serve(scope, receive, send, protocol)
        finally:
            ADMISSION.release(address)

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any, protocol: protocols.Protocol) -> None:
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
        except asyncio.CancelledError:
            # Daphne cancels every application instance when the process stops (SIGTERM: the
            # reactor's "before shutdown" trigger `Server.kill_all_applications`, which waits for
            # them) and at no other time while the socket is open. Say "going away" so that clients
            # reconnect at once and can tell a restart from a crash (a dropped TCP connection).
            await _going_away(connection, receive)
            raise
        finally:
            WEBSOCKETS_OPEN.dec()
            connection.closed = True
            connection.stop_all()


async def _going_away(connection: Connection, receive: Any) -> None:
    """Close with 1001 and wait (briefly) for the client's close frame: while this coroutine runs,
    Daphne's shutdown waits, so the frame is written before the reactor drops every socket."""
    if connection.closed:
        return
    await connection.close(CLOSE_GOING_AWAY, "Server restarting: reconnect")
    try:
        async with asyncio.timeout(GOING_AWAY_WAIT_SECONDS):
            while (await receive())["type"] != "websocket.disconnect":
                pass
    except TimeoutError:
        pass
