"""API tokens on WebSockets: the connection authenticator (settings.LIVE_CONNECTION_AUTHENTICATOR)
and the re-check of open connections (settings.LIVE_CONNECTION_REVALIDATOR).

connection_init's payload may carry `{"Authorization": "Bearer <token>"}` (or `authorization`,
or `token`): the connection then acts as the token's user, with its scopes. No credential: the
connection is anonymous (reads are public). A bad token refuses the connection (4403). While the
connection is open, the transport asks `revalidate()` every LIVE_REAUTH_SECONDS and closes the
connections whose token was revoked or has expired (4401, docs/sheriffing.md).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async

from apps.accounts.identity import InvalidCredentials, Principal, bearer_token, principal_from_token, still_valid
from server.ws.auth import ConnectionRejected


def _credential(params: dict[str, Any]) -> str | None:
    for key in ("Authorization", "authorization"):
        if key in params:
            token = bearer_token(params[key])
            if token is None:
                raise ConnectionRejected("Authorization must be 'Bearer <API token>'.")
            return token
    token = params.get("token")
    if token is not None and not isinstance(token, str):
        raise ConnectionRejected("token must be a string.")
    return token


async def authenticate(connection_params: dict[str, Any], scope: dict[str, Any]) -> Principal | None:
    raw = _credential(connection_params)
    if raw is None:
        return None
    try:
        return await sync_to_async(principal_from_token)(raw)
    except InvalidCredentials as exc:
        raise ConnectionRejected(str(exc)) from None


async def revalidate(users: list[Any]) -> list[bool]:
    principals = [u for u in users if isinstance(u, Principal)]
    if not any(p.token_id is not None for p in principals):
        return [True] * len(users)
    verdicts = iter(await sync_to_async(still_valid)(principals))
    return [next(verdicts) if isinstance(u, Principal) else True for u in users]
