"""Who may open a GraphQL WebSocket. The hook the API-token work plugs into.

`settings.LIVE_CONNECTION_AUTHENTICATOR` names a function `(connection_params, scope) -> user`
(sync or async) called with `connection_init`'s payload. It returns the user the connection acts as
(None: anonymous, which may read everything, as over HTTP), or raises `ConnectionRejected`, which
closes the socket with 4403.

`settings.LIVE_CONNECTION_REVALIDATOR` (optional) names an async function `(users) -> [bool]`: every
LIVE_REAUTH_SECONDS the transport passes it the users of its open connections, and closes those
it answers False for (credentials revoked or expired) with CLOSE_CREDENTIALS_ENDED (4401).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

Authenticator = Callable[[dict[str, Any], dict[str, Any]], Any]


class ConnectionRejected(Exception):
    """Raised by an authenticator: the connection is refused (4403 Forbidden)."""


def anonymous(connection_params: dict[str, Any], scope: dict[str, Any]) -> None:
    """The default: reads are public, so every connection is accepted as anonymous."""
    return None


@cache
def _authenticator() -> Authenticator:
    return import_string(settings.LIVE_CONNECTION_AUTHENTICATOR)


@cache
def _revalidator() -> Callable[[list[Any]], Awaitable[list[bool]]] | None:
    path = getattr(settings, "LIVE_CONNECTION_REVALIDATOR", None)
    return import_string(path) if path else None


async def revalidate(users: list[Any]) -> list[bool]:
    """Which of these connection users are still allowed (all, without a revalidator)."""
    check = _revalidator()
    if check is None or not users:
        return [True] * len(users)
    return await check(users)


async def authenticate(connection_params: dict[str, Any], scope: dict[str, Any]) -> Any:
    result = _authenticator()(connection_params, scope)
    if inspect.isawaitable(result):
        result = await result
    return result


__all__ = ["Awaitable", "ConnectionRejected", "anonymous", "authenticate", "revalidate"]
