"""One GraphQL WebSocket connection: its lifecycle (init, operations, close) and message dispatch.

What differs between the two protocols is a table (`server.ws.protocols`); flow control and
keepalive decisions are `server.ws.flow.FlowControl`, which this class feeds and obeys. Operations
run once (queries, mutations) or join a shared execution (subscriptions, `server.ws.sharing`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from strawberry.types.execution import PreExecutionError

from apps.core.metrics import SUBSCRIPTIONS_OPEN
from schema.live.context import LiveContext
from server.ws import auth
from server.ws.flow import (
    CLOSE_INIT_TIMEOUT,
    CLOSE_KEEPALIVE_TIMEOUT,
    CLOSE_SLOW_CONSUMER,
    Decision,
    FlowControl,
    Limits,
)
from server.ws.operations import OperationRequest, plan
from server.ws.protocols import Protocol
from server.ws.sharing import REGISTRY, Leader, errors_to_json, result_to_json

logger = logging.getLogger(__name__)

MAX_OPERATIONS = 100

# The token a connection authenticated with was revoked or expired (graphql-ws clients treat 4401 as
# fatal and do not reconnect with the same credentials).
CLOSE_CREDENTIALS_ENDED = 4401
# The server process is stopping (SIGTERM): RFC 6455's "going away". Clients reconnect at once.
CLOSE_GOING_AWAY = 1001

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
    def __init__(self, scope: dict[str, Any], send: Send, protocol: Protocol, schema: Any) -> None:
        self.scope = scope
        self._send = send
        self.protocol = protocol
        self.schema = schema
        self.operations: dict[str, Operation] = {}
        self.connection_params: dict[str, Any] = {}
        self.user: Any = None
        # When the connection's credential expires (epoch seconds; None: never). Checked before
        # every event, so nothing is delivered after it, not even in the seconds before the
        # periodic re-check (server/ws/app.py) would close the socket.
        self.expires_at: float | None = None
        self.acknowledged = False
        self.init_received = False
        self.closed = False
        self.flow = FlowControl(Limits.from_settings(), now=time.monotonic())

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
        self.flow.sent(len(text), now=time.monotonic())

    async def send_message(self, message: dict[str, Any]) -> None:
        await self._send_text(orjson.dumps(message).decode())

    async def send_next(self, op_id: str, payload_text: str, frames: dict[tuple[str, str], str] | None = None) -> None:
        if self.expires_at is not None and time.time() >= self.expires_at:
            await self.close(CLOSE_CREDENTIALS_ENDED, "Unauthorized: credentials revoked or expired")
            return
        # The payload is serialised once per event for all subscribers, and each distinct frame
        # (protocol, operation id) is built once: most clients call their first operation "1".
        key = (self.protocol.name, op_id)
        frame = frames.get(key) if frames is not None else None
        if frame is None:
            frame = self.protocol.next_frame(op_id, payload_text)
            if frames is not None:
                frames[key] = frame
        await self._send_text(frame)
        if self.protocol.client_pongs and not self.closed:
            await self._obey(self.flow.after_send())

    async def send_error(self, op_id: str, errors_text: str) -> None:
        await self._send_text(self.protocol.error_frame(op_id, errors_text))

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
        if self.protocol.client_pongs:
            number = self.flow.ping_sent(now=time.monotonic())
            # Clients that echo the payload (graphql-ws does) acknowledge this very ping.
            await self.send_message({"type": "ping", "payload": {"n": number}})
        else:
            await self.send_message({"type": "ka"})

    async def _obey(self, decision: Decision) -> None:
        if decision is Decision.PING:
            await self.ping()
        elif decision is Decision.CLOSE_SLOW_CONSUMER:
            logger.info("closing a slow consumer: %d bytes unacknowledged", self.flow.unacked_bytes)
            await self.close(CLOSE_SLOW_CONSUMER, "Slow consumer: resume with your last cursor")
        elif decision is Decision.CLOSE_NO_PONG:
            logger.info("closing a silent client: no pong for %.0f s", self.flow.oldest_open_ping_age(time.monotonic()))
            await self.close(CLOSE_KEEPALIVE_TIMEOUT, "Keepalive timeout: no pong")
        elif decision is Decision.CLOSE_NO_INIT:
            await self.close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout")

    async def tick(self, now: float) -> None:
        """Called about once a second by the process's ticker."""
        if not self.closed:
            await self._obey(self.flow.on_tick(now, acknowledged=self.acknowledged))

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
        await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        protocol = self.protocol
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == protocol.subscribe:
            if not self.acknowledged:
                await self.close(4401, "Unauthorized")
                return
            await self._start(message)
        elif kind == protocol.stop:
            self._stop(message.get("id"))
        elif protocol.client_pongs and kind == "ping":
            pong: dict[str, Any] = {"type": "pong"}
            if "payload" in message:
                pong["payload"] = message["payload"]
            await self.send_message(pong)
        elif protocol.client_pongs and kind == "pong":
            self.flow.on_pong(message.get("payload"))
        elif protocol.terminate is not None and kind == protocol.terminate:
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
            expires = getattr(self.user, "token_expires_at", None)
            self.expires_at = expires.timestamp() if expires is not None else None
        except auth.ConnectionRejected as exc:
            if self.protocol.rejection_message:
                await self.send_message({"type": "connection_error", "payload": {"message": str(exc) or "Forbidden"}})
            await self.close(4403, "Forbidden")
            return
        self.connection_params = payload or {}
        self.acknowledged = True
        await self.send_message({"type": "connection_ack"})
        if self.protocol.keepalive_after_ack:
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
            too_many = {
                "message": f"Too many operations on this connection (the limit is {MAX_OPERATIONS}).",
                "extensions": {"code": "OPERATION_LIMIT_EXCEEDED", "limit": MAX_OPERATIONS},
            }
            await self.send_error(op_id, orjson.dumps([too_many]).decode())
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
            unexpected = {"message": "Unexpected error.", "extensions": {"code": "INTERNAL"}}
            await operation.fail(orjson.dumps([unexpected]).decode())

    def _stop(self, op_id: Any) -> None:
        operation = self.operations.pop(op_id, None) if isinstance(op_id, str) else None
        if operation is not None:
            operation.stop()

    def stop_all(self) -> None:
        operations, self.operations = self.operations, {}
        for operation in operations.values():
            operation.stop()
