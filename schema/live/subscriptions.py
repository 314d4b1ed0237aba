"""The live subscriptions: jobChanged, pushChanged, jobFailures.

Each resolver checks its arguments first (an unknown repository or an expired cursor is an error
straight away, never a silent wait), then returns the event generator. The generators read a hub
stream (replay after `after`, then live), filter on the event payload, and give every event fresh
loaders, so the fields a client selected are loaded anew for each event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

import strawberry
from asgiref.sync import sync_to_async
from django.db import close_old_connections
from graphql import GraphQLError

from apps.live.hub import CursorExpired, Hub, Stream, UnknownCursor
from apps.live.selectors import NumberedEvent
from apps.repositories.models import Repository
from schema.db import db
from schema.jobs.types import JobResult
from schema.live import cursors
from schema.live.filters import FAILED_RESULTS, FailureFilter, JobFilter
from schema.live.types import (
    JobChangedEvent,
    JobEventFilter,
    JobFailureEvent,
    LiveInfo,
    PushChangedEvent,
)

JOB_CHANGED = "job.changed"
PUSH_CHANGED = "push.changed"
# pushChanged sends each push at most this often per subscriber, whatever the job churn.
PUSH_COALESCE_SECONDS = 0.25


def _repository_ids(names: list[str]) -> dict[str, int]:
    return dict(Repository.objects.filter(name__in=names).values_list("name", "id"))


async def _resolve_repositories(names: list[str]) -> frozenset[int]:
    if not names:
        raise GraphQLError("Name at least one repository.", extensions={"code": "BAD_USER_INPUT"})
    found = await sync_to_async(_repository_ids)(names)
    missing = sorted(set(names) - set(found))
    if missing:
        raise GraphQLError(
            f"Unknown repository: {', '.join(missing)}.", extensions={"code": "NOT_FOUND", "repositories": missing}
        )
    return frozenset(found.values())


async def _open(*, repository_ids: frozenset[int], push_id: int | None = None, after: str | None) -> Stream:
    hub = await Hub.get()
    try:
        return await hub.open_stream(repository_ids=repository_ids, push_id=push_id, after=cursors.decode(after))
    except CursorExpired as exc:
        raise GraphQLError(
            "Cursor expired: the events after it are no longer retained. Re-query the state you need, "
            "then subscribe with after: the cursor in this error's extensions.",
            extensions={"code": "CURSOR_EXPIRED", "cursor": cursors.encode(exc.head)},
        ) from exc
    except UnknownCursor as exc:
        raise GraphQLError(
            "Unknown cursor: it is ahead of every event this server has.",
            extensions={"code": "INVALID_CURSOR", "cursor": cursors.encode(exc.head)},
        ) from exc


_connections_checked_at = 0.0


async def _prepare_event(info: LiveInfo, seq: int) -> str:
    """Before an event is executed: fresh loaders (no row cached by an earlier event) and its
    cursor; and, about once a second per process, recycle aged or broken database connections,
    which nothing else does outside an HTTP request."""
    global _connections_checked_at
    now = time.monotonic()
    if now - _connections_checked_at > 1.0:
        _connections_checked_at = now
        await db(close_old_connections)()
    info.context.fresh_loaders()
    info.context.cursor = cursors.encode(seq)
    return info.context.cursor


async def _job_events(info: LiveInfo, stream: Stream, job_filter: JobFilter) -> AsyncGenerator[JobChangedEvent, None]:
    try:
        async for event in stream:
            if event.type != JOB_CHANGED or not job_filter.accepts(event.payload):
                continue
            cursor = await _prepare_event(info, event.seq)
            yield JobChangedEvent(cursor=cursor, changed=event.payload["changed"], job_id=event.job_id or 0)
    finally:
        stream.close()


async def _failure_events(
    info: LiveInfo, stream: Stream, failure_filter: FailureFilter
) -> AsyncGenerator[JobFailureEvent, None]:
    try:
        async for event in stream:
            if event.type != JOB_CHANGED:
                continue
            kind = failure_filter.kind(event.payload)
            if kind is None:
                continue
            cursor = await _prepare_event(info, event.seq)
            yield JobFailureEvent(cursor=cursor, kind=kind, job_id=event.job_id or 0)
    finally:
        stream.close()


async def _next_or_none(stream: Stream, timeout: float | None) -> NumberedEvent | None:
    try:
        return await asyncio.wait_for(anext(stream), timeout)
    except TimeoutError:
        return None


async def _push_events(info: LiveInfo, stream: Stream) -> AsyncGenerator[PushChangedEvent, None]:
    """New pushes and status changes, coalesced: each flush sends every changed push once, in
    cursor order, at most every PUSH_COALESCE_SECONDS. A quiet push's first change goes out at once."""
    pending: dict[int, int] = {}  # push id -> newest cursor that touched it
    last_flush = 0.0
    try:
        while True:
            wait = None if not pending else max(0.0, last_flush + PUSH_COALESCE_SECONDS - time.monotonic())
            event = await _next_or_none(stream, wait)
            if event is not None and event.push_id is not None:
                pending[event.push_id] = event.seq
            if pending and time.monotonic() - last_flush >= PUSH_COALESCE_SECONDS:
                last_flush = time.monotonic()
                flushing, pending = sorted(pending.items(), key=lambda item: item[1]), {}
                for push_id, seq in flushing:
                    cursor = await _prepare_event(info, seq)
                    yield PushChangedEvent(cursor=cursor, push_id=push_id)
    finally:
        stream.close()


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(
        description="Every change to the jobs of a repository (optionally one push), filtered on the server. "
        "Give `after:` a cursor to first receive every matching event since it."
    )
    async def job_changed(
        self,
        info: LiveInfo,
        repository: str,
        push_id: int | None = None,
        filter: JobEventFilter | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[JobChangedEvent, None]:
        repos = await _resolve_repositories([repository])
        stream = await _open(repository_ids=repos, push_id=push_id, after=after)
        return _job_events(info, stream, JobFilter.from_input(filter))

    @strawberry.subscription(
        description="New pushes of a repository and changes to their status counts, coalesced to a few "
        "updates a second per push."
    )
    async def push_changed(
        self, info: LiveInfo, repository: str, after: str | None = None
    ) -> AsyncGenerator[PushChangedEvent, None]:
        repos = await _resolve_repositories([repository])
        stream = await _open(repository_ids=repos, after=after)
        return _push_events(info, stream)

    @strawberry.subscription(
        description="For bots: failed jobs when they complete (kind COMPLETED), when their error lines are "
        "ready (ERRORS_READY) and when they are classified (CLASSIFIED). By default tiers 1-2, results "
        "testfailed/busted/exception, unclassified jobs only."
    )
    async def job_failures(
        self,
        info: LiveInfo,
        repositories: list[str],
        tiers: list[int] | None = None,
        results: list[JobResult] | None = None,
        unclassified_only: bool = True,
        after: str | None = None,
    ) -> AsyncGenerator[JobFailureEvent, None]:
        repos = await _resolve_repositories(repositories)
        stream = await _open(repository_ids=repos, after=after)
        failure_filter = FailureFilter(
            tiers=frozenset(tiers if tiers is not None else (1, 2)),
            results=frozenset(r.value for r in results) if results is not None else frozenset(FAILED_RESULTS),
            unclassified_only=unclassified_only,
        )
        return _failure_events(info, stream, failure_filter)
