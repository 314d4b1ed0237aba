"""Queries that belong to live updates."""

from __future__ import annotations

import strawberry
from asgiref.sync import sync_to_async

from apps.live.selectors import head_seq
from schema.live import cursors


@strawberry.type
class LiveQueries:
    @strawberry.field(
        description="The newest event cursor. Read it before you query the state you show, then subscribe "
        "with after: it, and no change falls between your query and your subscription."
    )
    async def live_cursor(self) -> str:
        return cursors.encode(await sync_to_async(head_seq)())
