"""Streams: what a live subscription iterates. Replay from the outbox table after a cursor, then the
live events the hub hands over, in cursor order, with a bounded buffer; a stream that overflows its
buffer drops it and catches up from the table.

A stream says when it has caught up (`on_caught_up`, `caught_up()`): the WebSocket server uses that
to move a resumed subscription into the shared execution (see `schema.live.handoff`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apps.core.metrics import LIVE_EVENTS
from apps.live import selectors
from apps.live.events import NumberedEvent
from apps.live.reads import run_live

if TYPE_CHECKING:
    from apps.live.hub import Hub

STREAM_BUFFER = 2_000
REPLAY_CHUNK = 500


class CursorExpired(Exception):
    """The cursor is older than what retention keeps: the client must re-query, then resume."""

    def __init__(self, cursor: int, head: int) -> None:
        super().__init__(f"events after cursor {cursor} are no longer retained")
        self.cursor = cursor
        self.head = head


class UnknownCursor(Exception):
    """No event has this cursor: it does not come from this server's history."""

    def __init__(self, cursor: int, head: int) -> None:
        super().__init__(f"cursor {cursor} was never issued (the newest is {head})")
        self.cursor = cursor
        self.head = head


async def in_db_thread(fn: Any, /, **kwargs: Any) -> Any:
    """Outbox reads run in the live read pool (apps/live/reads.py), which also keeps its threads'
    connections healthy."""
    return await run_live(fn, **kwargs)


class Stream:
    """The events of some repositories (or all), optionally of one push, in cursor order."""

    def __init__(
        self,
        hub: Hub,
        *,
        repository_ids: frozenset[int] | None,
        push_id: int | None,
        after: int | None,
        buffer_size: int = STREAM_BUFFER,
        wants: Callable[[NumberedEvent], bool] | None = None,
    ) -> None:
        self.hub = hub
        self.repository_ids = repository_ids
        self.push_id = push_id
        self.buffer_size = buffer_size
        # The subscription's own filter (its server-side filter on the payload), applied here and not
        # only by the subscription so that the events it would skip take no place in the buffer: the
        # buffer bounds how far behind a stream may fall in events *it delivers*. Counting every
        # event of the repository made a subscription to one job symbol (1% of the events) overflow
        # as soon as the repository ran 2,000 events ahead, and then catch up from the table, chunk
        # by chunk, reading the 99% it does not want (bench/README.md's soak: 36% of Daphne's time).
        self.wants = wants
        # Everything the hub dispatches from now on has seq > hub.head, so (after, hub.head] is
        # exactly what must come from the table: no gap, no overlap.
        self.last = hub.head if after is None else after
        # How far the table has been read: replay reads resume after it (>= last, as a chunk may end
        # with events this stream does not want).
        self._scanned = self.last
        self.replay_through: int | None = hub.head if after is not None and after < hub.head else None
        self._pending: deque[NumberedEvent] = deque()
        self._buffer: deque[NumberedEvent] = deque()
        self._wakeup = asyncio.Event()
        self._waiting = False
        self.overflows = 0
        self.closed = False
        # Called each time the stream has delivered everything dispatched to it and starts waiting.
        self.on_caught_up: Callable[[], None] | None = None

    def matches(self, event: NumberedEvent) -> bool:
        if self.repository_ids is not None and event.repository_id not in self.repository_ids:
            return False
        if self.push_id is not None and event.push_id != self.push_id:
            return False
        return self.wants is None or self.wants(event)

    def offer(self, event: NumberedEvent) -> bool:
        """Called by the hub, in cursor order, for every event of this stream's repositories.
        True: the stream wants it."""
        if not self.matches(event):
            return False
        if len(self._buffer) >= self.buffer_size:
            # Too far behind: forget the buffer and read (last, now] back from the table instead.
            self.overflows += 1
            LIVE_EVENTS.labels(stage="dropped").inc(len(self._buffer))
            self._buffer.clear()
            self.replay_through = self.hub.head
        else:
            self._buffer.append(event)
        self._wakeup.set()
        return True

    def caught_up(self) -> bool:
        """Everything dispatched so far is delivered, and the stream waits for the next event."""
        return self._waiting and self.replay_through is None and not self._buffer

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub.unregister(self)
            self._wakeup.set()

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> NumberedEvent:
        while not self.closed:
            if self.replay_through is not None:
                event = await self._next_from_table(self.replay_through)
                if event is not None:
                    return event
                continue
            while self._buffer:
                event = self._buffer.popleft()
                if event.seq > self.last:
                    self.last = event.seq
                    return event
            self._wakeup.clear()
            self._waiting = True
            try:
                if self.on_caught_up is not None:
                    self.on_caught_up()
                await self._wakeup.wait()
            finally:
                self._waiting = False
        raise StopAsyncIteration

    async def _next_from_table(self, through: int) -> NumberedEvent | None:
        if not self._pending:
            start = max(self.last, self._scanned)
            if start >= through:
                self.last = max(self.last, through)
                self.replay_through = None
                return None
            rows = await in_db_thread(
                selectors.events_after,
                after_seq=start,
                through_seq=through,
                repository_ids=self.repository_ids,
                push_id=self.push_id,
                limit=REPLAY_CHUNK,
            )
            # Retention may have run while we replayed: then events after `last` may be gone.
            if await in_db_thread(selectors.pruned_through) > start:
                raise CursorExpired(self.last, self.hub.head)
            if not rows:
                self.last = max(self.last, through)  # nothing of ours in that range
                self.replay_through = None
                return None
            self._scanned = rows[-1].seq
            self._pending.extend(row for row in rows if self.wants is None or self.wants(row))
            if not self._pending:
                return None  # nothing wanted in this chunk: the caller asks for the next one
        event = self._pending.popleft()
        self.last = event.seq
        return event
