"""A GraphQL-over-WebSocket client speaking the protocol frame by frame (the `websockets` library),
for tests that need to see every message, close code and timing the way a bot would."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection


class GraphQLWS:
    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol

    @classmethod
    async def connect(
        cls,
        base_url: str,
        *,
        protocol: str = "graphql-transport-ws",
        init: bool = True,
        origin: str | None = None,
        params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> GraphQLWS:
        url = base_url.replace("http://", "ws://") + "/graphql"
        headers = {"Origin": origin} if origin else None
        ws = await websockets.connect(url, subprotocols=[protocol], additional_headers=headers, **kwargs)  # type: ignore[list-item]
        client = cls(ws, protocol)
        if init:
            await client.send({"type": "connection_init", "payload": params or {}})
            ack = await client.receive()
            assert ack["type"] == "connection_ack", ack
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message that is not a keepalive (pings are answered), within `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), remaining))
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            if message["type"] == "ka":
                continue
            return message

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        kind = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        await self.send({"id": op_id, "type": kind, "payload": {"query": query, "variables": variables or {}}})

    async def complete(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "complete" if self.protocol == "graphql-transport-ws" else "stop"})

    async def next_data(self, op_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next result for `op_id` (other ids' messages are kept for later)."""
        message = await self.receive(timeout)
        assert message.get("id") == op_id, message
        assert message["type"] in ("next", "data"), message
        payload: dict[str, Any] = message["payload"]
        return payload

    async def collect(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        try:
            while len(received) < count:
                received.append(await self.receive(timeout))
        except TimeoutError:
            raise AssertionError(f"expected {count} messages, got {len(received)}: {received}") from None
        return received

    async def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """Everything that arrives within `seconds` (expected: nothing)."""
        received: list[dict[str, Any]] = []
        try:
            while True:
                received.append(await self.receive(seconds))
        except TimeoutError:
            return received

    def collect_in_background(self) -> list[dict[str, Any]]:
        """Read (and answer pings) in a task from now on; returns the list the messages go to."""
        inbox: list[dict[str, Any]] = []

        async def read() -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                while True:
                    inbox.append(await self.receive(timeout=3600))

        self._reader = asyncio.create_task(read())
        return inbox

    async def close(self) -> None:
        await self.ws.close()
        reader = getattr(self, "_reader", None)
        if reader is not None:
            await asyncio.gather(reader, return_exceptions=True)
