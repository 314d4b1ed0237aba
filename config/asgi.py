"""ASGI entry point for Daphne: HTTP through Django (GraphQL, health, static files), and GraphQL over
WebSocket (graphql-transport-ws and the legacy graphql-ws) at /graphql."""

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from channels.routing import ProtocolTypeRouter
from django.conf import settings
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from apps.live.embedded import ensure_relay_running  # noqa: E402 - needs the apps loaded
from config.http_limits import (  # noqa: E402
    HTTPRequestLimits,
    close_oversized_websocket_messages,
    raise_twisted_line_limits,
)
from config.proxy_headers import TrustedProxyHeaders  # noqa: E402
from config.websocket_close import cancel_applications_on_stop, pass_websocket_close_reasons  # noqa: E402
from schema.schema import schema  # noqa: E402
from server.ws.app import GraphQLWebSocketApp  # noqa: E402


class EmbeddedRelayStarter:
    """In embedded mode, start the in-process relay with the first request of any kind."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if settings.EMBEDDED:
            ensure_relay_running()
        await self.app(scope, receive, send)


raise_twisted_line_limits()
close_oversized_websocket_messages()
pass_websocket_close_reasons()
cancel_applications_on_stop()

application = EmbeddedRelayStarter(
    # The client's address (the per-address WebSocket limit) from X-Forwarded-For only behind a
    # trusted proxy (TRUSTED_PROXIES); Daphne runs without --proxy-headers, which believes anyone.
    TrustedProxyHeaders(
        ProtocolTypeRouter(
            {
                # REQUEST_BODY_MAX_BYTES (DATA_UPLOAD_MAX_MEMORY_SIZE), enforced before Django reads the body.
                "http": HTTPRequestLimits(django_application, max_body=settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
                "websocket": GraphQLWebSocketApp(schema),
            }
        ),
        trusted=settings.TRUSTED_PROXIES,
    )
)
