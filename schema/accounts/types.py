"""The signed-in user (`me`) and their API tokens (never the secret, which is shown once)."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry

from apps.accounts import models, selectors
from schema.db import db

MAX_TOKENS_LISTED = 100


@strawberry.enum(description="What an API token may do: READ (read as the user) or CLASSIFY (annotate jobs).")
class ApiTokenScope(Enum):
    READ = "read"
    CLASSIFY = "classify"


@strawberry.type(description="An API token of the signed-in user. The token itself is shown only on creation.")
class ApiToken:
    database_id: int
    name: str
    prefix: str = strawberry.field(description="The token's first characters, to tell tokens apart.")
    scopes: list[ApiTokenScope]
    created: datetime.datetime
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None = strawberry.field(description="Updated at most once a minute.")
    revoked_at: datetime.datetime | None

    @classmethod
    def from_model(cls, row: models.ApiToken) -> ApiToken:
        return cls(
            database_id=row.id,
            name=row.name,
            prefix=row.prefix,
            scopes=[ApiTokenScope(s) for s in sorted(row.scope_set)],
            created=row.created,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="Who the request acts as.")
class Me:
    username: str
    email: str
    is_sheriff: bool = strawberry.field(description="In the sheriff group: may clear a whole push's classifications.")
    via: str = strawberry.field(description='"session" (browser sign-in) or "token" (API token).')
    scopes: list[ApiTokenScope] = strawberry.field(description="What this credential allows.")
    user_id: strawberry.Private[int]
    can_manage_tokens: strawberry.Private[bool]

    @strawberry.field(description="Your API tokens, newest first (only over a browser session).")
    async def api_tokens(self) -> list[ApiToken]:
        if not self.can_manage_tokens:
            return []

        def load() -> list[ApiToken]:
            rows = selectors.api_tokens_of(user_id=self.user_id)[:MAX_TOKENS_LISTED]
            return [ApiToken.from_model(row) for row in rows]

        return await db(load)()
