"""The two GraphQL-over-WebSocket protocols as data: what differs between them is in this table.

graphql-transport-ws (the current protocol, `graphql-ws` the library) and graphql-ws (Apollo's
legacy subscriptions-transport-ws) share the connection's lifecycle and dispatch; they differ in
message names, in how an operation's error is shaped, and in keepalive (the current protocol has
client pongs, which the flow control counts; the legacy one only has the server's "ka").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


@dataclass(frozen=True)
class Protocol:
    name: str
    # Client -> server message types.
    subscribe: str
    stop: str
    terminate: str | None
    # Server -> client: the message type of a result.
    next: str
    # Ping/pong in both directions: the server's pings are acknowledged (flow control, keepalive
    # timeout). Without them the server sends "ka" and relies on Daphne's WebSocket pings.
    client_pongs: bool
    # The legacy protocol sends "ka" right after connection_ack, and "connection_error" before
    # closing a rejected connection.
    keepalive_after_ack: bool
    rejection_message: bool
    # The current protocol sends an operation's errors as a list; the legacy one its first error.
    errors_as_list: bool

    def next_frame(self, op_id: str, payload_text: str) -> str:
        return f'{{"id":{json.dumps(op_id)},"type":"{self.next}","payload":{payload_text}}}'

    def error_frame(self, op_id: str, errors_text: str) -> str:
        if self.errors_as_list:
            return f'{{"id":{json.dumps(op_id)},"type":"error","payload":{errors_text}}}'
        # Legacy: one error object, then the client expects nothing more for the id.
        errors: list[Any] = orjson.loads(errors_text)
        return orjson.dumps({"id": op_id, "type": "error", "payload": errors[0] if errors else {}}).decode()


GRAPHQL_TRANSPORT_WS = Protocol(
    name=TRANSPORT_WS,
    subscribe="subscribe",
    stop="complete",
    terminate=None,
    next="next",
    client_pongs=True,
    keepalive_after_ack=False,
    rejection_message=False,
    errors_as_list=True,
)

GRAPHQL_WS = Protocol(
    name=LEGACY_WS,
    subscribe="start",
    stop="stop",
    terminate="connection_terminate",
    next="data",
    client_pongs=False,
    keepalive_after_ack=True,
    rejection_message=True,
    errors_as_list=False,
)

PROTOCOLS = {protocol.name: protocol for protocol in (GRAPHQL_TRANSPORT_WS, GRAPHQL_WS)}


def choose(offered: list[str]) -> Protocol | None:
    """The protocol to speak among the subprotocols a client offers."""
    # The current protocol wins whenever the client offers it, even second: gql, for one, lists the
    # legacy protocol first by default.
    for name in (TRANSPORT_WS, LEGACY_WS):
        if name in offered:
            return PROTOCOLS[name]
    return None
