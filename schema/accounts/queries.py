from __future__ import annotations

import strawberry

from apps.accounts.identity import Principal, Via
from schema.accounts.identity import principal_of
from schema.accounts.types import ApiTokenScope, Me
from schema.info import Info


def me_of(principal: Principal) -> Me | None:
    if principal.user is None:
        return None
    return Me(
        username=principal.username,
        email=principal.user.email,
        is_sheriff=principal.is_sheriff,
        via=principal.via.value,
        scopes=[ApiTokenScope(s) for s in sorted(principal.scopes)],
        user_id=principal.user.pk,
        can_manage_tokens=principal.via == Via.SESSION,
    )


@strawberry.type
class AccountQueries:
    @strawberry.field(description="Who this request acts as (null: anonymous). A bad API token is an error.")
    async def me(self, info: Info) -> Me | None:
        return me_of(await principal_of(info))
