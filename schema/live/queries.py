"""Queries that belong to live updates."""

from __future__ import annotations

import strawberry

from apps.live.selectors import head_seq
from schema.db import db
from schema.live import cursors


@strawberry.type
class LiveQueries:
    @strawberry.field(
        description="The newest event cursor. Read it before you query the state you show, then subscribe "
        "with after: it, and no change falls between your query and your subscription."
    )
    async def live_cursor(self) -> str:
        return cursors.encode(await db(head_seq)())
