"""Limits on a request before Django or the GraphQL transport sees it, each refused clearly.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when a view reads `request.body`, after its ASGI
handler has already read (and spooled to disk) the whole body, and the refusal is a bare HTML 400
logged at ERROR. Daphne (Twisted) drops the connection, answering nothing, when the request line is
over 16 KiB. Here:

* a body over MAX_BODY_BYTES (by Content-Length, or counted as it arrives) gets 413 at once;
* a URL (path and query string) over MAX_URL_BYTES gets 414;
* Twisted's line limits are raised to MAX_REQUEST_LINE_BYTES, so URLs up to that size reach the
  414 above; a longer line gets a best-effort 414 from Twisted instead of a silent drop.

Every HTTP refusal is a GraphQL-shaped JSON error with a code (docs/api-limits.md), logged as one
rate-limited WARNING line by schema.errors.

A WebSocket message over WEBSOCKET_MAX_MESSAGE_BYTES (Daphne's limit) is refused by autobahn,
which by default drops the TCP connection without a word (`failByDrop`); here it closes with 1009
(message too big) and a reason instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

# The default of REQUEST_BODY_MAX_BYTES (Django's DATA_UPLOAD_MAX_MEMORY_SIZE), which config.asgi passes.
MAX_BODY_BYTES = 1024 * 1024
MAX_URL_BYTES = 8 * 1024
MAX_REQUEST_LINE_BYTES = 64 * 1024
# Daphne's own limit on an incoming WebSocket message (--websocket-max-message-size, its default).
WEBSOCKET_MAX_MESSAGE_BYTES = 1024 * 1024

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def error_body(message: str, code: str, **details: Any) -> bytes:
    # Imported here: settings import this module's constants, before the apps (and schema) load.
    from schema.errors import error_body as schema_error_body

    return schema_error_body(message, code, **details)


async def _refuse(send: Send, status: int, message: str, code: str, **details: Any) -> None:
    from schema.errors import log_client_error

    log_client_error(code, message)
    body = error_body(message, code, **details)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class HTTPRequestLimits:
    """ASGI middleware for http scopes: refuses oversized bodies (413) and URLs (414)."""

    def __init__(self, app: Any, *, max_body: int = MAX_BODY_BYTES, max_url: int = MAX_URL_BYTES) -> None:
        self.app = app
        self.max_body = max_body
        self.max_url = max_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        url_bytes = len(scope.get("raw_path") or scope.get("path", "").encode()) + (len(query) + 1 if query else 0)
        if url_bytes > self.max_url:
            await _refuse(
                send,
                414,
                f"The URL is {url_bytes} bytes; the limit is {self.max_url}. POST the query as JSON instead.",
                "URI_TOO_LONG",
                limit=self.max_url,
            )
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await self._too_large(send, declared)
            return
        # Read the body here (Django's handler would read all of it anyway), counting as it comes:
        # a chunked body has no Content-Length to check up front.
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_body:
                await self._too_large(send, size, at_least=True)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, size: int, *, at_least: bool = False) -> None:
        measured = f"over {self.max_body}" if at_least else str(size)
        await _refuse(
            send,
            413,
            f"The request body is {measured} bytes; the limit is {self.max_body}.",
            "REQUEST_TOO_LARGE",
            limit=self.max_body,
        )


def raise_twisted_line_limits(limit: int = MAX_REQUEST_LINE_BYTES) -> None:
    """Let request lines up to `limit` bytes through to HTTPRequestLimits, and answer a longer one
    with a 414 rather than Twisted's silent drop (LineReceiver.lineLengthExceeded closes the
    connection without a response). Daphne has no setting for either; only the class attributes."""
    from twisted.web.http import HTTPChannel

    HTTPChannel.MAX_LENGTH = limit
    HTTPChannel.totalHeadersSize = limit

    def line_length_exceeded(self: Any, line: bytes) -> None:
        body = error_body(f"The request line or a header is over {limit} bytes.", "URI_TOO_LONG", limit=limit)
        head = (
            b"HTTP/1.1 414 URI Too Long\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        )
        self.transport.write(head + body)
        self.transport.loseConnection()

    HTTPChannel.lineLengthExceeded = line_length_exceeded  # type: ignore[method-assign]


def close_oversized_websocket_messages() -> None:
    """Make autobahn close a connection it fails (an oversized message, a protocol violation) with
    a close frame, code and reason (1009 and "... exceeds payload limit of N octets" for a message
    too big), instead of dropping the TCP connection. Daphne sets the factory's options in
    `Server.run`, after importing the application, and has no setting for this one."""
    from daphne.ws_protocol import WebSocketFactory

    if getattr(WebSocketFactory, "_closes_cleanly", False):
        return
    set_options = WebSocketFactory.setProtocolOptions

    def set_protocol_options(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("failByDrop", False)
        set_options(self, *args, **kwargs)

    WebSocketFactory.setProtocolOptions = set_protocol_options
    WebSocketFactory._closes_cleanly = True
