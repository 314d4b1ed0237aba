"""API tokens through the API: created and revoked by the signed-in user (browser session only)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from apps.accounts import services
from apps.accounts.permissions import Action
from schema.accounts.identity import require
from schema.accounts.types import ApiToken, ApiTokenScope
from schema.db import db
from schema.info import Info
from schema.results import InvalidInput, NotFound


@strawberry.type(description="The new token. `token` is shown only now: store it; it cannot be read again.")
class ApiTokenCreated:
    token: str
    api_token: ApiToken


@strawberry.type
class ApiTokenRevoked:
    api_token: ApiToken


CreateApiTokenResult = Annotated[ApiTokenCreated | InvalidInput, strawberry.union("CreateApiTokenResult")]
RevokeApiTokenResult = Annotated[ApiTokenRevoked | NotFound, strawberry.union("RevokeApiTokenResult")]


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create an API token for yourself (from a signed-in browser session).")
    async def create_api_token(
        self, info: Info, name: str, scopes: list[ApiTokenScope], expires_in_days: int = 90
    ) -> CreateApiTokenResult:
        principal = await require(info, Action.MANAGE_TOKENS)
        try:
            row, raw = await db(services.api_token_create)(
                user=principal.user, name=name, scopes=[s.value for s in scopes], expires_in_days=expires_in_days
            )
        except services.TokenInputError as exc:
            return InvalidInput(message=str(exc), field=exc.field)
        return ApiTokenCreated(token=raw, api_token=ApiToken.from_model(row))

    @strawberry.mutation(description="Revoke one of your API tokens; open WebSockets using it close within seconds.")
    async def revoke_api_token(self, info: Info, database_id: int) -> RevokeApiTokenResult:
        principal = await require(info, Action.MANAGE_TOKENS)
        row = await db(services.api_token_revoke)(user=principal.user, token_id=database_id)
        if row is None:
            return NotFound(message=f"You have no API token {database_id}.", ids=[database_id])
        return ApiTokenRevoked(api_token=ApiToken.from_model(row))
