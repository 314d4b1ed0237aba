"""Shared execution: one running subscription (a leader) per distinct request, many subscribers.

Strawberry executes a subscription's selection once per event per subscription; with a thousand
bots asking the same thing that is a thousand executions of the same fields. A leader executes
once, serialises once, and hands the same text to every subscriber.

A subscription resuming from a cursor first runs alone (a private leader: its replay is its own).
Once its stream has caught up, it moves to the shared leader of the same request without the cursor
(or becomes that leader), at a moment when both streams have consumed every event dispatched so
far, so the move loses and repeats nothing. Clients that follow the recommended pattern (query,
then subscribe `after:` a cursor) therefore end up sharing too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any, Protocol

import orjson
from strawberry.types.execution import PreExecutionError

from apps.core.metrics import metrics_incr
from schema.db import use_live_reads
from schema.live.context import LiveContext
from server.ws.operations import OperationRequest

logger = logging.getLogger(__name__)


# Hand control back to the event loop every this many sends, so sockets start flushing (and clients
# start reading) while the rest of the fan-out is still being written.
YIELD_EVERY = 64


class Subscriber(Protocol):
    leader: Leader | None

    async def deliver(self, payload_text: str, frames: dict[tuple[str, str], str]) -> None: ...

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
        *,
        twin_key: str | None = None,
    ) -> None:
        self.registry = registry
        self.key = key
        self.twin_key = twin_key
        self.request = request
        self.context = context
        self._subscribe = subscribe
        self.subscribers: dict[int, Subscriber] = {}
        self.task: asyncio.Task[None] | None = None
        self.results = 0

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"live-leader {self.key[:60]}")
        if self.twin_key is not None:
            self.context.handoff.when_caught_up(lambda: self.registry.merge(self))

    async def _run(self) -> None:
        failure: str | None = None
        # Every read of this execution, the resolver's argument checks included, runs in the live
        # read pool (its own task's context): outside an HTTP request nothing recycles the
        # thread-sensitive thread's connection, and after a database outage a broken one there
        # failed every new subscription's first read.
        use_live_reads()
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
                        failure = errors_to_json(result)
                        return
                    self.results += 1
                    text = result_to_json(result)
                    frames: dict[tuple[str, str], str] = {}  # one frame text per (protocol, op id)
                    for count, subscriber in enumerate(list(self.subscribers.values()), start=1):
                        await subscriber.deliver(text, frames)
                        if count % YIELD_EVERY == 0:
                            await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("live subscription failed: %s", self.key[:200])
            # Not a normal end: the client must be able to tell, and resume from its last cursor.
            failure = orjson.dumps([{"message": "Unexpected error.", "extensions": {"code": "INTERNAL"}}]).decode()
        finally:
            self.registry.forget(self)
            subscribers, self.subscribers = list(self.subscribers.values()), {}
            for subscriber in subscribers:
                if failure is None:
                    await subscriber.finish()
                else:
                    await subscriber.fail(failure)

    def join(self, subscriber: Subscriber) -> None:
        self.subscribers[id(subscriber)] = subscriber
        subscriber.leader = self

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
        identity: str,
        shareable: bool,
        twin: OperationRequest | None,
        context_factory: Callable[[], LiveContext],
        subscribe: Callable[..., Awaitable[Any]],
    ) -> Leader:
        if shareable:
            key = request.share_key(identity)
            leader = self._shared.get(key)
            if leader is None:
                leader = self._shared[key] = Leader(self, key, request, context_factory(), subscribe)
                leader.start()
        else:
            self._private += 1
            twin_key = twin.share_key(identity) if twin is not None else None
            leader = Leader(self, f"private-{self._private}", request, context_factory(), subscribe, twin_key=twin_key)
            leader.start()
        leader.join(subscriber)
        return leader

    def merge(self, private: Leader) -> None:
        """Called (synchronously, by the hub's stream) when a private leader's stream has caught up:
        nothing is buffered and it waits for the next event. Move its subscribers to the shared
        leader of its twin request if that one has caught up too, or make it the shared leader."""
        if private.twin_key is None or private.task is None or private.task.done():
            return
        shared = self._shared.get(private.twin_key)
        if shared is None:
            private.key, private.twin_key = private.twin_key, None
            private.context.handoff.when_caught_up(None)
            self._shared[private.key] = private
            self._merged("promoted")
            return
        if not shared.context.handoff.ready():
            return  # busy now; the private stream asks again after its next event
        for subscriber in list(private.subscribers.values()):
            shared.join(subscriber)
        private.subscribers.clear()
        private.twin_key = None
        private.task.cancel()
        self._merged("joined")

    @staticmethod
    def _merged(how: str) -> None:
        try:
            metrics_incr("live_resumed_subscriptions_shared", how=how)
        except Exception as exc:  # noqa: BLE001 - a counter must never break delivery
            logger.debug("metrics unavailable: %s", exc)


REGISTRY = LeaderRegistry()
