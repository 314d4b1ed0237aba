"""The per-process hub: one channel-layer listener for every live subscription in this process.

Each Daphne process runs one hub. It joins the single live group once, keeps `head` (the newest
cursor it has dispatched), and hands each event, in cursor order, exactly once, to the streams that
want it. What the channel layer loses (channels-redis drops past a channel's capacity, Redis may be
down) the hub reads back from the outbox table: every relay message names the head before it, and a
periodic check compares `head` with the table's head. Subscribers therefore see every event, in
order, without duplicates, whatever the layer does.

Streams (`apps.live.stream`) are what subscriptions iterate; the hub feeds them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection
from typing import Any

from channels.layers import get_channel_layer

from apps.core.metrics import LIVE_DELIVERY
from apps.live import selectors
from apps.live.events import NumberedEvent
from apps.live.relay import LIVE_GROUP
from apps.live.stream import STREAM_BUFFER, CursorExpired, Stream, UnknownCursor, in_db_thread

logger = logging.getLogger(__name__)

TAIL_CHECK_SECONDS = 1.0
GROUP_REFRESH_SECONDS = 6 * 3600.0


class Hub:
    """One per process (per event loop). Start it with `await Hub.get()`."""

    _instances: dict[asyncio.AbstractEventLoop, asyncio.Task[Hub]] = {}

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel = ""
        self.head = 0
        self.streams: set[Stream] = set()
        self._by_repo: dict[int, set[Stream]] = {}
        self._all_repos: set[Stream] = set()
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_message_at = 0.0
        self.backfilled = 0

    @classmethod
    async def get(cls) -> Hub:
        """The process's hub, started. Concurrent first callers all wait for the one start."""
        loop = asyncio.get_running_loop()
        starting = cls._instances.get(loop)
        if starting is None or (starting.done() and (starting.cancelled() or starting.exception())):
            # First use, or the last start failed (Redis or the database was down): start again.
            starting = cls._instances[loop] = loop.create_task(cls()._start())
        return await asyncio.shield(starting)

    async def _start(self) -> Hub:
        self.channel = await self.layer.new_channel(prefix="live-hub.")
        try:
            await self.layer.group_add(LIVE_GROUP, self.channel)
        except Exception as exc:  # noqa: BLE001 - without the layer, events still come from the table
            logger.warning("live hub: cannot join the channel layer (%s); reading events from the table", exc)
        # After joining: any event numbered from here on reaches us, the rest is <= head.
        self.head = await in_db_thread(selectors.head_seq)
        self._last_message_at = time.monotonic()
        for coro in (self._receive_loop(), self._tail_check_loop(), self._refresh_group_loop()):
            self._tasks.append(asyncio.create_task(coro))
        logger.info("live hub %s started at cursor %d", self.channel, self.head)
        return self

    async def open_stream(
        self,
        *,
        repository_ids: Collection[int] | None,
        push_id: int | None = None,
        after: int | None = None,
        buffer_size: int = STREAM_BUFFER,
    ) -> Stream:
        """A stream from `after` (replayed from the table) or from now. Raises CursorExpired or
        UnknownCursor for a cursor retention no longer covers or that is ahead of every event."""
        if after is not None:
            pruned = await in_db_thread(selectors.pruned_through)
            if after < pruned:
                raise CursorExpired(after, self.head)
            # Cursors are sparse: one this server issued is 0 or the seq of an event it still keeps.
            if after != 0 and not await in_db_thread(selectors.event_exists, seq=after):
                raise UnknownCursor(after, await in_db_thread(selectors.head_seq))
        repos = frozenset(repository_ids) if repository_ids is not None else None
        # No await between reading head (in Stream.__init__) and registering.
        stream = Stream(self, repository_ids=repos, push_id=push_id, after=after, buffer_size=buffer_size)
        self.streams.add(stream)
        if repos is None:
            self._all_repos.add(stream)
        else:
            for repo in repos:
                self._by_repo.setdefault(repo, set()).add(stream)
        return stream

    def unregister(self, stream: Stream) -> None:
        self.streams.discard(stream)
        self._all_repos.discard(stream)
        for repo in stream.repository_ids or ():
            members = self._by_repo.get(repo)
            if members is not None:
                members.discard(stream)
                if not members:
                    del self._by_repo[repo]

    def _dispatch(self, event: NumberedEvent) -> None:
        self.head = event.seq
        for stream in self._by_repo.get(event.repository_id, ()):
            stream.offer(event)
        for stream in self._all_repos:
            stream.offer(event)

    async def _backfill(self, through: int) -> None:
        """Dispatch (head, through] from the table. Caller holds the lock."""
        while self.head < through:
            rows = await in_db_thread(selectors.events_after, after_seq=self.head, through_seq=through, limit=1000)
            if not rows:
                self.head = through
                return
            for event in rows:
                self._dispatch(event)
            self.backfilled += len(rows)

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep listening through a Redis outage
                logger.warning("live hub: channel layer receive failed (%s); retrying", exc)
                await asyncio.sleep(1.0)
                await self._rejoin()
                continue
            self._last_message_at = time.monotonic()
            try:
                await self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be down while a gap is read back: the tail check fills it later.
                logger.exception("live hub: could not dispatch a layer message; the tail check will catch up")

    async def _handle(self, message: dict[str, Any]) -> None:
        async with self._lock:
            if message.get("prev", 0) > self.head:
                logger.info("live hub: missed events %d-%d on the layer; reading them back",
                            self.head + 1, message["prev"])  # fmt: skip
                await self._backfill(message["prev"])
            dispatched = 0
            for data in message.get("events", ()):
                if data["seq"] > self.head:
                    self._dispatch(NumberedEvent.from_message(data))
                    dispatched += 1
            if dispatched and message.get("committed") and self.streams:
                LIVE_DELIVERY.observe(max(0.0, time.time() - float(message["committed"])))

    async def _tail_check_loop(self) -> None:
        """Catch a lost last message (nothing follows to reveal the gap) and a dead layer."""
        while True:
            await asyncio.sleep(TAIL_CHECK_SECONDS)
            if not self.streams:
                continue
            try:
                db_head = await in_db_thread(selectors.head_seq)
                if db_head > self.head and time.monotonic() - self._last_message_at > TAIL_CHECK_SECONDS:
                    async with self._lock:
                        await self._backfill(db_head)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be down for a while: try again
                logger.warning("live hub: tail check failed: %s", exc)

    async def _rejoin(self) -> None:
        try:
            await self.layer.group_add(LIVE_GROUP, self.channel)
        except Exception as exc:  # noqa: BLE001
            logger.debug("live hub: group_add failed: %s", exc)

    async def _refresh_group_loop(self) -> None:
        # channels-redis forgets group members after group_expiry (a day); stay a member.
        while True:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            await self._rejoin()


__all__ = ["CursorExpired", "Hub", "Stream", "UnknownCursor"]
