"""Settings for Daphne processes started by the live tests: fast keepalive, and an authenticator
that shows the connection_init hook (anonymous allowed, a "token" checked)."""

from typing import Any

from config.settings import *  # noqa: F403
from server.ws.auth import ConnectionRejected

LIVE_KEEPALIVE_SECONDS = 1.0
LIVE_PONG_TIMEOUT_SECONDS = 3.0
LIVE_INIT_TIMEOUT_SECONDS = 3.0
LIVE_MAX_UNACKED_BYTES = 256 * 1024
LIVE_CONNECTION_AUTHENTICATOR = "tests.support.live_settings.token_authenticator"


def token_authenticator(connection_params: dict[str, Any], scope: dict[str, Any]) -> str | None:
    token = connection_params.get("token")
    if token is None:
        return None  # anonymous: reads are public
    if token != "good-token":
        raise ConnectionRejected("bad token")
    return "bot@example.com"
