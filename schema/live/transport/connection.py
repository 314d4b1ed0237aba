"""One GraphQL WebSocket connection: both protocols, flow control, keepalive, cleanup.

graphql-transport-ws (the current protocol) and graphql-ws (Apollo's legacy
subscriptions-transport-ws) share everything but their message names, so one class handles both.

Bounded memory for a client that stops reading: ASGI gives no backpressure on send, so the server
counts what it sent against the client's pongs. It pings after every PING_EVERY_BYTES it sends and
every LIVE_KEEPALIVE_SECONDS of quiet; each pong acknowledges everything sent before its ping. More
than LIVE_MAX_UNACKED_BYTES unacknowledged closes the socket (4002), as does a ping unanswered for
LIVE_PONG_TIMEOUT_SECONDS (4001). The client reconnects and resumes with the last cursor it received,
and the replay fills in what it missed. (The legacy protocol has no client pong; Daphne's own
WebSocket pings close a dead peer there.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from django.conf import settings
from strawberry.types.execution import PreExecutionError

from apps.core.metrics import SUBSCRIPTIONS_OPEN
from schema.live.context import LiveContext
from schema.live.transport import auth
from schema.live.transport.operations import OperationRequest, plan
from schema.live.transport.sharing import REGISTRY, Leader, errors_to_json, result_to_json

logger = logging.getLogger(__name__)

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"

PING_EVERY_BYTES = 64 * 1024
MAX_OPERATIONS = 100

CLOSE_KEEPALIVE_TIMEOUT = 4001
CLOSE_SLOW_CONSUMER = 4002

Send = Callable[[dict[str, Any]], Awaitable[None]]


class Operation:
    """One client operation id: a subscriber of a leader, or a single query/mutation task."""

    def __init__(self, connection: Connection, op_id: str) -> None:
        self.connection = connection
        self.op_id = op_id
        self.leader: Leader | None = None
        self.task: asyncio.Task[None] | None = None
        self.subscribed = False  # counted in treeherder_subscriptions_open until it ends

    def _uncount(self) -> None:
        if self.subscribed:
            self.subscribed = False
            SUBSCRIPTIONS_OPEN.dec()

    async def deliver(self, payload_text: str, frames: dict[tuple[str, str], str]) -> None:
        await self.connection.send_next(self.op_id, payload_text, frames)

    async def fail(self, errors_text: str) -> None:
        self._uncount()
        await self.connection.send_error(self.op_id, errors_text)
        self.connection.operations.pop(self.op_id, None)

    async def finish(self) -> None:
        self._uncount()
        if self.connection.operations.pop(self.op_id, None) is not None:
            await self.connection.send_complete(self.op_id)

    def stop(self) -> None:
        self._uncount()
        if self.leader is not None:
            self.leader.leave(self)
        if self.task is not None:
            self.task.cancel()


class Connection:
    def __init__(self, scope: dict[str, Any], send: Send, protocol: str, schema: Any) -> None:
        self.scope = scope
        self._send = send
        self.protocol = protocol
        self.schema = schema
        self.operations: dict[str, Operation] = {}
        self.connection_params: dict[str, Any] = {}
        self.user: Any = None
        self.acknowledged = False
        self.init_received = False
        self.closed = False
        self.opened_at = time.monotonic()
        self.last_sent_at = self.opened_at
        self.sent_bytes = 0
        self.acked_bytes = 0
        self._pings: deque[tuple[int, int, float]] = deque()  # (number, bytes sent before it, when)
        self._ping_number = 0

    # -- sending -------------------------------------------------------------------------------

    async def _send_text(self, text: str) -> None:
        if self.closed:
            return
        try:
            await self._send({"type": "websocket.send", "text": text})
        except Exception as exc:  # noqa: BLE001 - the peer went away mid-send; only this socket ends
            logger.debug("send failed, dropping the connection: %s", exc)
            self.closed = True
            self.stop_all()
            return
        self.sent_bytes += len(text)
        self.last_sent_at = time.monotonic()

    async def send_message(self, message: dict[str, Any]) -> None:
        await self._send_text(orjson.dumps(message).decode())

    async def send_next(self, op_id: str, payload_text: str, frames: dict[tuple[str, str], str] | None = None) -> None:
        # The payload is serialised once per event for all subscribers, and each distinct frame
        # (protocol, operation id) is built once: most clients call their first operation "1".
        key = (self.protocol, op_id)
        frame = frames.get(key) if frames is not None else None
        if frame is None:
            kind = "next" if self.protocol == TRANSPORT_WS else "data"
            frame = f'{{"id":{json.dumps(op_id)},"type":"{kind}","payload":{payload_text}}}'
            if frames is not None:
                frames[key] = frame
        await self._send_text(frame)
        await self._flow_control()

    async def send_error(self, op_id: str, errors_text: str) -> None:
        if self.protocol == TRANSPORT_WS:
            await self._send_text(f'{{"id":{json.dumps(op_id)},"type":"error","payload":{errors_text}}}')
        else:
            # Legacy: one error object, then the client expects nothing more for the id.
            errors = orjson.loads(errors_text)
            await self.send_message({"id": op_id, "type": "error", "payload": errors[0] if errors else {}})

    async def send_complete(self, op_id: str) -> None:
        await self.send_message({"id": op_id, "type": "complete"})

    async def close(self, code: int, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception as exc:  # noqa: BLE001 - already gone: nothing left to tell the peer
            logger.debug("close failed: %s", exc)
        finally:
            self.stop_all()

    # -- flow control and keepalive --------------------------------------------------------------

    async def ping(self) -> None:
        if self.protocol == TRANSPORT_WS:
            self._ping_number += 1
            self._pings.append((self._ping_number, self.sent_bytes, time.monotonic()))
            # Clients that echo the payload (graphql-ws does) acknowledge this very ping.
            await self.send_message({"type": "ping", "payload": {"n": self._ping_number}})
        else:
            await self.send_message({"type": "ka"})

    async def _flow_control(self) -> None:
        if self.protocol != TRANSPORT_WS or self.closed:
            return
        if self.sent_bytes - self.acked_bytes > settings.LIVE_MAX_UNACKED_BYTES:
            logger.info("closing a slow consumer: %d bytes unacknowledged", self.sent_bytes - self.acked_bytes)
            await self.close(CLOSE_SLOW_CONSUMER, "Slow consumer: resume with your last cursor")
            return
        last_mark = self._pings[-1][1] if self._pings else self.acked_bytes
        if self.sent_bytes - last_mark >= PING_EVERY_BYTES:
            await self.ping()

    def on_pong(self, payload: Any) -> None:
        """A pong acknowledges everything sent before its ping: the ping it names in an echoed
        payload, or else (gql answers without one) the oldest ping still open."""
        number = payload.get("n") if isinstance(payload, dict) else None
        while self._pings:
            ping_number, mark, _ = self._pings.popleft()
            self.acked_bytes = mark
            if not isinstance(number, int) or ping_number >= number:
                return

    async def tick(self, now: float) -> None:
        """Called about once a second by the process's ticker."""
        if self.closed:
            return
        if not self.acknowledged and now - self.opened_at > settings.LIVE_INIT_TIMEOUT_SECONDS:
            await self.close(4408, "Connection initialisation timeout")
        elif self._pings and now - self._pings[0][2] > settings.LIVE_PONG_TIMEOUT_SECONDS:
            logger.info("closing a silent client: no pong for %.0f s", now - self._pings[0][2])
            await self.close(CLOSE_KEEPALIVE_TIMEOUT, "Keepalive timeout: no pong")
        elif self.acknowledged and now - self.last_sent_at > settings.LIVE_KEEPALIVE_SECONDS:
            await self.ping()

    # -- receiving -----------------------------------------------------------------------------

    async def receive_text(self, text: str) -> None:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            await self.close(4400, "Invalid message: not JSON")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.close(4400, "Invalid message: no type")
            return
        if self.protocol == TRANSPORT_WS:
            await self._transport_ws(message)
        else:
            await self._legacy_ws(message)

    async def _transport_ws(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping":
            pong: dict[str, Any] = {"type": "pong"}
            if "payload" in message:
                pong["payload"] = message["payload"]
            await self.send_message(pong)
        elif kind == "pong":
            self.on_pong(message.get("payload"))
        elif kind == "subscribe":
            if not self.acknowledged:
                await self.close(4401, "Unauthorized")
                return
            await self._start(message)
        elif kind == "complete":
            self._stop(message.get("id"))
        else:
            await self.close(4400, f"Invalid message type {kind!r}")

    async def _legacy_ws(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "start":
            if not self.acknowledged:
                await self.close(4401, "Unauthorized")
                return
            await self._start(message)
        elif kind == "stop":
            self._stop(message.get("id"))
        elif kind == "connection_terminate":
            await self.close(1000, "Terminated by client")
        else:
            await self.close(4400, f"Invalid message type {kind!r}")

    async def _init(self, payload: Any) -> None:
        if self.init_received:
            await self.close(4429, "Too many initialisation requests")
            return
        self.init_received = True
        if payload is not None and not isinstance(payload, dict):
            await self.close(4400, "Invalid connection_init payload")
            return
        try:
            self.user = await auth.authenticate(payload or {}, self.scope)
        except auth.ConnectionRejected as exc:
            if self.protocol == LEGACY_WS:
                await self.send_message({"type": "connection_error", "payload": {"message": str(exc) or "Forbidden"}})
            await self.close(4403, "Forbidden")
            return
        self.connection_params = payload or {}
        self.acknowledged = True
        await self.send_message({"type": "connection_ack"})
        if self.protocol == LEGACY_WS:
            await self.send_message({"type": "ka"})

    async def _start(self, message: dict[str, Any]) -> None:
        op_id = message.get("id")
        if not isinstance(op_id, str) or not op_id:
            await self.close(4400, "Invalid message: id must be a non-empty string")
            return
        if op_id in self.operations:
            await self.close(4409, f"Subscriber for {op_id} already exists")
            return
        try:
            request = OperationRequest.from_payload(message.get("payload"))
        except ValueError as exc:
            await self.close(4400, f"Invalid message: {exc}")
            return
        if len(self.operations) >= MAX_OPERATIONS:
            await self.send_error(op_id, orjson.dumps([{"message": "Too many operations on this connection"}]).decode())
            return
        operation = self.operations[op_id] = Operation(self, op_id)
        how = plan(request)
        if how.is_subscription:
            operation.subscribed = True
            SUBSCRIPTIONS_OPEN.inc()
            REGISTRY.subscribe(
                operation,
                request,
                identity=self.identity,
                shareable=how.shareable,
                twin=how.twin,
                context_factory=self._context,
                subscribe=self.schema.subscribe,
            )
        else:
            operation.task = asyncio.create_task(self._run_once(operation, request))

    @property
    def identity(self) -> str:
        """Who the connection acts as, for sharing: only identical requests of one user share."""
        if self.user is None:
            return ""
        return f"{type(self.user).__name__}:{getattr(self.user, 'pk', self.user)}"

    def _context(self) -> LiveContext:
        return LiveContext(connection_params=self.connection_params, user=self.user)

    async def _run_once(self, operation: Operation, request: OperationRequest) -> None:
        """A query or mutation over the socket: one result, then complete."""
        try:
            results = await self.schema.stream(
                request.query,
                variable_values=request.variables,
                context_value=self._context(),
                operation_name=request.operation_name,
            )
            async for result in results:
                if isinstance(result, PreExecutionError):
                    await operation.fail(errors_to_json(result))
                    return
                await self.send_next(operation.op_id, result_to_json(result))
            await operation.finish()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("operation over WebSocket failed")
            await operation.fail(orjson.dumps([{"message": "Unexpected error."}]).decode())

    def _stop(self, op_id: Any) -> None:
        operation = self.operations.pop(op_id, None) if isinstance(op_id, str) else None
        if operation is not None:
            operation.stop()

    def stop_all(self) -> None:
        operations, self.operations = self.operations, {}
        for operation in operations.values():
            operation.stop()
