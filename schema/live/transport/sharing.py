"""Shared execution: one running subscription (a leader) per distinct request, many subscribers.

Strawberry executes a subscription's selection once per event per subscription; with a thousand
bots asking the same thing that is a thousand executions of the same fields. A leader executes
once, serialises once, and hands the same text to every subscriber.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any, Protocol

import orjson
from strawberry.types.execution import PreExecutionError

from schema.live.context import LiveContext
from schema.live.transport.operations import OperationRequest

logger = logging.getLogger(__name__)


# Hand control back to the event loop every this many sends, so sockets start flushing (and clients
# start reading) while the rest of the fan-out is still being written.
YIELD_EVERY = 64


class Subscriber(Protocol):
    async def deliver(self, payload_text: str, cursor: str | None, frames: dict[tuple[str, str], str]) -> None: ...

    async def fail(self, errors_text: str) -> None: ...

    async def finish(self) -> None: ...


def result_to_json(result: Any) -> str:
    data: dict[str, Any] = {"data": result.data}
    if result.errors:
        data["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        data["extensions"] = result.extensions
    return orjson.dumps(data).decode()


def errors_to_json(result: Any) -> str:
    return orjson.dumps([error.formatted for error in result.errors or ()]).decode()


class Leader:
    def __init__(
        self,
        registry: LeaderRegistry,
        key: str,
        request: OperationRequest,
        context: LiveContext,
        subscribe: Callable[..., Awaitable[Any]],
    ) -> None:
        self.registry = registry
        self.key = key
        self.request = request
        self.context = context
        self._subscribe = subscribe
        self.subscribers: dict[int, Subscriber] = {}
        self.task: asyncio.Task[None] | None = None
        self.results = 0

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"live-leader {self.key[:60]}")

    async def _run(self) -> None:
        try:
            stream = await self._subscribe(
                self.request.query,
                variable_values=self.request.variables,
                context_value=self.context,
                operation_name=self.request.operation_name,
            )
            async with aclosing(stream):
                async for result in stream:
                    if isinstance(result, PreExecutionError):
                        text = errors_to_json(result)
                        for subscriber in list(self.subscribers.values()):
                            await subscriber.fail(text)
                        self.subscribers.clear()
                        return
                    self.results += 1
                    text = result_to_json(result)
                    cursor = self.context.cursor
                    frames: dict[tuple[str, str], str] = {}  # one frame text per (protocol, op id)
                    for count, subscriber in enumerate(list(self.subscribers.values()), start=1):
                        await subscriber.deliver(text, cursor, frames)
                        if count % YIELD_EVERY == 0:
                            await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("live subscription failed: %s", self.key[:200])
        finally:
            self.registry.forget(self)
            for subscriber in list(self.subscribers.values()):
                await subscriber.finish()
            self.subscribers.clear()

    def join(self, subscriber: Subscriber) -> None:
        self.subscribers[id(subscriber)] = subscriber

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.pop(id(subscriber), None)
        if not self.subscribers and self.task is not None:
            self.registry.forget(self)
            self.task.cancel()


class LeaderRegistry:
    """Per process: the running leaders by request."""

    def __init__(self) -> None:
        self._shared: dict[str, Leader] = {}
        self._private = 0

    def forget(self, leader: Leader) -> None:
        if self._shared.get(leader.key) is leader:
            del self._shared[leader.key]

    def subscribe(
        self,
        subscriber: Subscriber,
        request: OperationRequest,
        *,
        shareable: bool,
        context_factory: Callable[[], LiveContext],
        subscribe: Callable[..., Awaitable[Any]],
    ) -> Leader:
        if shareable:
            key = request.share_key()
            leader = self._shared.get(key)
            if leader is None:
                leader = self._shared[key] = Leader(self, key, request, context_factory(), subscribe)
                leader.start()
        else:
            self._private += 1
            leader = Leader(self, f"private-{self._private}", request, context_factory(), subscribe)
            leader.start()
        leader.join(subscriber)
        return leader

    @property
    def shared_count(self) -> int:
        return len(self._shared)


REGISTRY = LeaderRegistry()
