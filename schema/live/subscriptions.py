"""The live subscriptions: jobChanged, pushChanged, jobFailures.

Each resolver checks its arguments first (an unknown repository or an expired cursor is an error
straight away, never a silent wait), then returns the event generator. The generators read a hub
stream (replay after `after`, then live), filter on the event payload, and give every event fresh
loaders, so the fields a client selected are loaded anew for each event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

import strawberry
from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections
from graphql import GraphQLError

from apps.core.outage import DATABASE, database_unreachable
from apps.live.events import NumberedEvent
from apps.live.hub import Hub
from apps.live.stream import CursorExpired, Stream, UnknownCursor
from apps.pushes.selectors import push_get_by_revision, push_in_repositories
from apps.repositories.selectors import repository_ids_by_names
from schema.db import db, use_live_reads
from schema.jobs.dataloaders import JobByIdLoader
from schema.jobs.types import JobResult
from schema.live import cursors
from schema.live.context import LiveContext
from schema.live.filters import FAILED_RESULTS, FailureFilter, JobFilter
from schema.live.rows import SharedRows, rows_for
from schema.live.types import (
    JobChangedEvent,
    JobEventFilter,
    JobFailureEvent,
    LiveInfo,
    PushChangedEvent,
    PushHealthChangedEvent,
)
from schema.loading import SelectorLoader
from schema.pushes.dataloaders import PushByIdLoader

# jobFailures' defaults, in the SDL too.
DEFAULT_FAILURE_TIERS = (1, 2)
DEFAULT_FAILURE_RESULTS = tuple(JobResult(value) for value in FAILED_RESULTS)

logger = logging.getLogger(__name__)

JOB_CHANGED = "job.changed"
PUSH_CHANGED = "push.changed"
# pushChanged sends each push at most this often per subscriber, whatever the job churn.
PUSH_COALESCE_SECONDS = 0.25


async def _resolve_repositories(names: list[str]) -> frozenset[int]:
    if not names:
        raise GraphQLError("Name at least one repository.", extensions={"code": "BAD_USER_INPUT"})
    found = await db(repository_ids_by_names)(names)
    missing = sorted(set(names) - set(found))
    if missing:
        raise GraphQLError(
            f"Unknown repository: {', '.join(missing)}.", extensions={"code": "NOT_FOUND", "repositories": missing}
        )
    return frozenset(found.values())


def _expired(exc: CursorExpired) -> GraphQLError:
    return GraphQLError(
        "Cursor expired: the events after it are no longer retained. Re-query the state you need, "
        "then subscribe with after: the cursor in this error's extensions.",
        extensions={"code": "CURSOR_EXPIRED", "cursor": cursors.encode(exc.head)},
    )


async def _open(
    info: LiveInfo,
    *,
    repository_ids: frozenset[int],
    push_id: int | None = None,
    after: str | None,
    wants: Callable[[NumberedEvent], bool] | None = None,
) -> Stream:
    """The hub stream of the subscription's events; `wants` is its server-side filter (on the
    payload), so what it would skip does not fill its buffer."""
    hub = await Hub.get()
    try:
        stream = await hub.open_stream(
            repository_ids=repository_ids, push_id=push_id, after=cursors.decode(after), wants=wants
        )
    except CursorExpired as exc:
        raise _expired(exc) from exc
    except UnknownCursor as exc:
        raise GraphQLError(
            "Unknown cursor: this server never issued it.",
            extensions={"code": "INVALID_CURSOR", "cursor": cursors.encode(exc.head)},
        ) from exc
    if isinstance(info.context, LiveContext):  # over HTTP there is no live context (and no subscription)
        info.context.handoff.attach(stream)
    return stream


_request_thread_checked_at = 0.0


async def _recycle_request_thread_connection() -> None:
    """About once a second per process, recycle an aged or broken connection of the
    thread-sensitive thread. Live reads run in the live read pool, which looks after its own
    threads; but live code that still reaches that thread (a subscription over another transport,
    before `use_live_reads`) runs outside any HTTP request, whose signals would otherwise do it."""
    global _request_thread_checked_at
    now = time.monotonic()
    if now - _request_thread_checked_at > 1.0:
        _request_thread_checked_at = now
        await sync_to_async(close_old_connections, thread_sensitive=True)()


# While the database is down an event is held, retried with this backoff (seconds, doubling).
HOLD_RETRY_FIRST_SECONDS = 0.25
HOLD_RETRY_MAX_SECONDS = 2.0


async def _prepare_readable(
    info: LiveInfo, rows: SharedRows, seq: int, loader: type[SelectorLoader[int, Any]], key: int
) -> str:
    """Fresh loaders for the event (no row cached by an earlier event) and its cursor, with the
    event's own row in them, read before the event is yielded. The row comes from the process's
    shared read (schema/live/rows.py: once per process, read after the event committed), not from a
    query of this execution's own.

    An event whose row cannot be read (the database is down) must not go out: the client would get
    `job: null` ("the job no longer exists") with the event's cursor, and resuming from that cursor
    would never deliver the change. So the event is held, and with it this subscription (and every
    subscriber sharing its execution), until the read succeeds: the row the client's fields need is
    then in the loaders, and delivery resumes in cursor order. A subscriber that gives up meanwhile
    resumes from the last cursor it did receive, which is before this event.
    """
    delay = HOLD_RETRY_FIRST_SECONDS
    outage_logged = False
    # Once per event, give the event loop a turn: a row the shared read already has is served without
    # any await, and a leader working through a backlog would otherwise send thousands of events
    # before Daphne reads a single pong (the reading client then looks like a slow consumer, 4002).
    await asyncio.sleep(0)
    while True:
        await _recycle_request_thread_connection()
        cursor = info.context.begin_event(seq)
        try:
            row = await rows.get(loader, key, seq)
        except DatabaseError as exc:
            if database_unreachable(exc):
                DATABASE.failed(exc)  # counted; the process logs one line per outage, not one per event
                if not outage_logged:
                    logger.debug("live: holding event %d until the database answers (%s)", seq, exc)
            elif not outage_logged:  # one line per held event, not one per retry
                logger.warning("live: holding event %d until the database answers (%s)", seq, exc)
            outage_logged = True
            # The live read pool replaces the broken connection on its next use (apps/live/reads.py).
            await asyncio.sleep(delay)
            delay = min(delay * 2, HOLD_RETRY_MAX_SECONDS)
            continue
        loader.of(info).prime(key, row)
        if outage_logged:
            logger.debug("live: database answers again; delivering event %d", seq)
        return cursor


def _start_live_reads() -> None:
    """Called as a live subscription's generator starts, in its execution's task: its reads (every
    field of every event) run in the live read pool, not the one thread-sensitive thread."""
    use_live_reads()


async def _events[T](
    info: LiveInfo, stream: Stream, build: Callable[[NumberedEvent], Callable[[str], T] | None]
) -> AsyncGenerator[T, None]:
    """The stream's events that `build` wants (it returns how to make the GraphQL event object from
    the cursor), each made with fresh loaders."""
    _start_live_reads()
    rows = rows_for(stream.hub)
    try:
        async for event in stream:
            make = build(event)
            if make is not None:
                yield make(await _prepare_readable(info, rows, event.seq, JobByIdLoader, event.job_id or 0))
    except CursorExpired as exc:  # retention overtook a replay
        raise _expired(exc) from exc
    finally:
        stream.close()


def _job_events(info: LiveInfo, stream: Stream, job_filter: JobFilter) -> AsyncGenerator[JobChangedEvent, None]:
    def build(event: NumberedEvent) -> Callable[[str], JobChangedEvent] | None:
        if event.type != JOB_CHANGED or not job_filter.accepts(event.payload):
            return None
        return lambda cursor: JobChangedEvent(cursor=cursor, changed=event.payload["changed"], job_id=event.job_id or 0)

    return _events(info, stream, build)


def _failure_events(
    info: LiveInfo, stream: Stream, failure_filter: FailureFilter
) -> AsyncGenerator[JobFailureEvent, None]:
    def build(event: NumberedEvent) -> Callable[[str], JobFailureEvent] | None:
        kind = failure_filter.kind(event.payload) if event.type == JOB_CHANGED else None
        if kind is None:
            return None
        return lambda cursor: JobFailureEvent(cursor=cursor, kind=kind, job_id=event.job_id or 0)

    return _events(info, stream, build)


async def _next_or_none(stream: Stream, timeout: float | None) -> NumberedEvent | None:
    try:
        return await asyncio.wait_for(anext(stream), timeout)
    except TimeoutError:
        return None


async def _push_events(info: LiveInfo, stream: Stream) -> AsyncGenerator[PushChangedEvent, None]:
    """New pushes and status changes, coalesced: each flush sends every changed push once, in
    cursor order, at most every PUSH_COALESCE_SECONDS. A quiet push's first change goes out at once."""
    _start_live_reads()
    rows = rows_for(stream.hub)
    pending: dict[int, int] = {}  # push id -> newest cursor that touched it
    last_flush = 0.0
    try:
        while True:
            # While changes wait for their flush, this subscription must not move to another
            # execution (they would be lost).
            info.context.handoff.hold(bool(pending))
            wait = None if not pending else max(0.0, last_flush + PUSH_COALESCE_SECONDS - time.monotonic())
            event = await _next_or_none(stream, wait)
            if event is not None and event.push_id is not None:
                pending[event.push_id] = event.seq
            if pending and time.monotonic() - last_flush >= PUSH_COALESCE_SECONDS:
                last_flush = time.monotonic()
                flushing, pending = sorted(pending.items(), key=lambda item: item[1]), {}
                for push_id, seq in flushing:
                    cursor = await _prepare_readable(info, rows, seq, PushByIdLoader, push_id)
                    yield PushChangedEvent(cursor=cursor, push_id=push_id)
    except CursorExpired as exc:
        raise _expired(exc) from exc
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
        if push_id is not None and not await db(push_in_repositories)(push_id=push_id, repository_ids=repos):
            raise GraphQLError(f"Unknown push {push_id} in repository {repository}.", extensions={"code": "NOT_FOUND"})
        job_filter = JobFilter.from_input(filter)
        stream = await _open(
            info,
            repository_ids=repos,
            push_id=push_id,
            after=after,
            wants=lambda event: event.type == JOB_CHANGED and job_filter.accepts(event.payload),
        )
        return _job_events(info, stream, job_filter)

    @strawberry.subscription(
        description="New pushes of a repository and changes to their status counts, coalesced to a few "
        "updates a second per push."
    )
    async def push_changed(
        self, info: LiveInfo, repository: str, after: str | None = None
    ) -> AsyncGenerator[PushChangedEvent, None]:
        repos = await _resolve_repositories([repository])
        stream = await _open(info, repository_ids=repos, after=after)
        return _push_events(info, stream)

    @strawberry.subscription(
        description="A push's health (pushHealth) each time its jobs change, coalesced like pushChanged: "
        "watch a push turn green or red."
    )
    async def push_health_changed(
        self, info: LiveInfo, repository: str, revision: str, after: str | None = None
    ) -> AsyncGenerator[PushHealthChangedEvent, None]:
        push = await db(push_get_by_revision)(repository_name=repository, revision=revision)
        if push is None:
            raise GraphQLError(
                f"Unknown push {repository}/{revision}.", extensions={"code": "NOT_FOUND", "revision": revision}
            )
        repository_id, push_id = push.repository_id, push.id
        stream = await _open(info, repository_ids=frozenset({repository_id}), push_id=push_id, after=after)

        async def events() -> AsyncGenerator[PushHealthChangedEvent, None]:
            async for event in _push_events(info, stream):
                yield PushHealthChangedEvent(cursor=event.cursor, revision=revision, push_id=push_id)

        return events()

    @strawberry.subscription(
        description="For bots: failed jobs when they complete (kind COMPLETED), when their error lines are "
        "ready (ERRORS_READY) and when they are classified (CLASSIFIED). By default tiers 1-2, results "
        "testfailed/busted/exception, unclassified jobs only."
    )
    async def job_failures(
        self,
        info: LiveInfo,
        repositories: list[str],
        # The defaults are in the SDL (GraphiQL and generated clients show them); null means the same.
        tiers: list[int] | None = DEFAULT_FAILURE_TIERS,  # type: ignore[assignment]
        results: list[JobResult] | None = DEFAULT_FAILURE_RESULTS,  # type: ignore[assignment]
        unclassified_only: bool = True,
        after: str | None = None,
    ) -> AsyncGenerator[JobFailureEvent, None]:
        repos = await _resolve_repositories(repositories)
        failure_filter = FailureFilter(
            tiers=frozenset(tiers if tiers is not None else DEFAULT_FAILURE_TIERS),
            results=frozenset(r.value for r in (results if results is not None else DEFAULT_FAILURE_RESULTS)),
            unclassified_only=unclassified_only,
        )
        stream = await _open(
            info,
            repository_ids=repos,
            after=after,
            wants=lambda event: event.type == JOB_CHANGED and failure_filter.kind(event.payload) is not None,
        )
        return _failure_events(info, stream, failure_filter)
