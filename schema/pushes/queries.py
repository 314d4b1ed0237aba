"""Queries for pushes: the push list (newest first, keyset pages) and one push."""

from __future__ import annotations

import datetime

import strawberry

from apps.pushes import selectors
from apps.repositories.selectors import repository_get
from schema.db import db
from schema.errors import UserInputError
from schema.failures.health import PushHealth
from schema.ids import database_id
from schema.info import Info
from schema.limits import paged
from schema.pagination import decode_time_id_cursor, page_info
from schema.pushes.dataloaders import PushByIdLoader
from schema.pushes.types import PUSH_CURSOR, Push, PushConnection, push_cursor

PUSHES_PAGE = paged("pushes", default=10, maximum=100)


async def _repository_id(name: str) -> int:
    repo = await db(repository_get)(name=name)
    if repo is None:
        raise UserInputError(f"Unknown repository `{name}`.")
    return repo.id


@strawberry.type
class PushQueries:
    @strawberry.field(
        description="A repository's pushes, newest first, a page at a time (at most 100). `author` is exact and "
        "case-insensitive (a leading '-' excludes it); `revision` may be a prefix; `fromChange`/`toChange` are "
        "revisions bounding the list by push time; `since`/`until` bound it by time (inclusive).",
        metadata=PUSHES_PAGE,
    )
    async def pushes(
        self,
        info: Info,
        repository: str,
        first: int = 10,
        after: str | None = None,
        author: str | None = None,
        revision: str | None = None,
        from_change: str | None = None,
        to_change: str | None = None,
        since: datetime.datetime | None = None,
        until: datetime.datetime | None = None,
    ) -> PushConnection:
        repository_id = await _repository_id(repository)
        cursor = None
        if after:
            time, ident = decode_time_id_cursor(PUSH_CURSOR, after)
            cursor = selectors.PushCursor(time=time, id=ident)
        page = await db(selectors.push_page)(
            repository_id=repository_id,
            first=first,
            after=cursor,
            filters=selectors.PushFilter(
                author=author,
                revision=revision,
                from_change=from_change,
                to_change=to_change,
                since=since,
                until=until,
            ),
        )
        loader = PushByIdLoader.of(info)
        for row in page.pushes:
            loader.prime(row.id, row)
        pushes = [Push.from_model(row) for row in page.pushes]
        return PushConnection(
            page_info=page_info(has_next_page=page.has_next_page, cursors=[push_cursor(p) for p in pushes]),
            pushes=pushes,
        )

    @strawberry.field(
        description="One push: by `id` (its databaseId or global id), or by `repository` and `revision` "
        "(a revision shorter than 40 characters matches as a prefix, newest push first)."
    )
    async def push(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        repository: str | None = None,
        revision: str | None = None,
    ) -> Push | None:
        if id is not None and (repository is None and revision is None):
            found = await PushByIdLoader.of(info).load(database_id(id, "Push"))
            return Push.from_model(found) if found is not None else None
        if id is None and repository and revision:
            row = await db(selectors.push_get_by_revision)(repository_name=repository, revision=revision)
            return Push.from_model(row) if row else None
        raise UserInputError("Give either `id`, or both `repository` and `revision`.")

    @strawberry.field(
        description="A push's health: its test, build and lint failures with their classification and the "
        "verdict (Treeherder's push/health/). Null for an unknown push."
    )
    async def push_health(self, info: Info, repository: str, revision: str) -> PushHealth | None:
        row = await db(selectors.push_get_by_revision)(repository_name=repository, revision=revision)
        return PushHealth(revision=row.revision, push_id=row.id) if row else None
