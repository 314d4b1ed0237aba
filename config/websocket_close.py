"""WebSocket closes as the application asks for them, and on a graceful stop (Daphne 4.2 fixes).

**A stop (SIGTERM) cancels every application**, so that the WebSocket app can close its sockets
with 1001 (server/ws/app.py). Daphne's `Server.kill_all_applications` (its "before shutdown"
trigger) reads `details["application_instance"]` of every connection, but for about a second after
each WebSocket handshake the upgraded HTTP request is still listed without one: the KeyError aborts
the trigger, nothing is cancelled, and the reactor drops every socket without a close frame. Here
the trigger skips connections that have no application instance.

**Close frames carry the application's code and reason.**

Daphne 4.2 turns an application's `websocket.close` into autobahn's `sendClose(code)`: the reason
is dropped (so "Slow consumer: resume with your last cursor" and the others never reached a
client), and autobahn's `sendClose` refuses every code but 1000 and 3000-4999, so a stopping
server could not say 1001 "going away" (RFC 6455 7.4.1: "a server going down"). Daphne has no
setting for either; this replaces the one branch of its `handle_reply` that sends the frame, and
calls autobahn's `sendCloseFrame` (what `sendClose` calls after its checks) with our own check.
"""

from __future__ import annotations

from typing import Any

# What a server may send (RFC 6455 7.4.1 and 7.4.2): normal, going away, policy violation, message
# too big, internal error, and the registered and private ranges.
SENDABLE = frozenset({1000, 1001, 1008, 1009, 1011})
REASON_MAX_BYTES = 123  # a control frame's payload is at most 125 bytes, 2 of them the code


def sendable(code: int) -> bool:
    return code in SENDABLE or 3000 <= code <= 4999


def cancel_applications_on_stop() -> None:
    import asyncio

    from daphne.server import Server
    from twisted.internet import defer

    if getattr(Server, "_cancels_cleanly", False):
        return

    def kill_all_applications(self: Any) -> Any:
        wait_for = []
        for details in self.connections.values():
            instance = details.get("application_instance")
            if instance is not None and not instance.done():
                instance.cancel()
                wait_for.append(instance)
        # As Daphne's: the reactor waits until every cancelled application has finished.
        waited = defer.Deferred.fromFuture(asyncio.gather(*wait_for))
        waited.addErrback(lambda _failure: None)
        return waited

    Server.kill_all_applications = kill_all_applications
    Server._cancels_cleanly = True


def pass_websocket_close_reasons() -> None:
    from autobahn.util import encode_truncate
    from daphne.ws_protocol import WebSocketProtocol

    if getattr(WebSocketProtocol, "_passes_close_reasons", False):
        return
    handle_reply = WebSocketProtocol.handle_reply

    def handle_reply_with_reason(self: Any, message: dict[str, Any]) -> None:
        if message.get("type") != "websocket.close" or self.state == self.STATE_CONNECTING:
            handle_reply(self, message)  # accept, send, and a refused handshake (HTTP 403)
            return
        code = message.get("code") or 1000
        if not isinstance(code, int) or not sendable(code):
            raise ValueError(f"websocket.close code {code!r} is not one a server may send")
        reason = message.get("reason") or ""
        self.sendCloseFrame(code=code, reasonUtf8=encode_truncate(reason, REASON_MAX_BYTES) if reason else None)

    WebSocketProtocol.handle_reply = handle_reply_with_reason
    WebSocketProtocol._passes_close_reasons = True
