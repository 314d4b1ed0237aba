"""The per-process hub: one channel-layer listener for every live subscription in this process.

Each Daphne process runs one hub. It joins the single live group once, keeps `head` (the newest
cursor it has dispatched), and hands each event, in cursor order, exactly once, to the streams that
want it. What the channel layer loses (channels-redis drops past a channel's capacity, Redis may be
down) the hub reads back from the outbox table: every relay message names the head before it, and a
periodic check compares `head` with the table's head. Subscribers therefore see every event, in
order, without duplicates, whatever the layer does.

Group membership is kept, not assumed: channels-redis forgets a member after `group_expiry` (a
day), a Redis restarted without persistence forgets every group at once, and a `group_add` that
fails (Redis down while the hub starts) leaves the hub outside the group. redis-py retries a failed
command for several seconds before it raises, so when Redis comes back during one of those retries
the hub's receive simply carries on, with no error to say the membership is gone. The membership
loop therefore joins until it succeeds (backing off while Redis is down), joins again whenever the
receive fails or the tail check finds events the layer did not bring (the sign of a lost
membership), and refreshes it every GROUP_REFRESH_SECONDS in any case.

Streams (`apps.live.stream`) are what subscriptions iterate; the hub feeds them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection
from typing import Any

from channels.layers import get_channel_layer

from apps.core.metrics import LIVE_DELIVERY
from apps.core.outage import CHANNEL_LAYER, DATABASE, database_unreachable
from apps.live import selectors
from apps.live.events import NumberedEvent
from apps.live.relay import LIVE_GROUP
from apps.live.stream import STREAM_BUFFER, CursorExpired, Stream, UnknownCursor, in_db_thread

logger = logging.getLogger(__name__)

TAIL_CHECK_SECONDS = 1.0
# A ZADD and an EXPIRE per process per period: cheap, and it bounds how long any undetected loss of
# membership (a Redis restart that redis-py's retries hid) can last.
GROUP_REFRESH_SECONDS = 60.0
# Retrying a join that failed: doubling from the first to the most (seconds).
JOIN_RETRY_FIRST_SECONDS = 0.5
JOIN_RETRY_MAX_SECONDS = 5.0


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
        self.joined = False  # a member of LIVE_GROUP, as far as the hub knows
        self._join_now = asyncio.Event()  # set: (re)join without waiting for the next refresh
        # Told of each dispatched event some stream of the process wants (schema/live/rows.py reads
        # their rows ahead, once for the process).
        self._watchers: list[Callable[[NumberedEvent], None]] = []

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
        if not await self._join():
            # Without the layer, events still come from the table; the membership loop keeps trying.
            logger.warning("live hub: cannot join the channel layer; reading events from the table until it can")
        # After joining: any event numbered from here on reaches us, the rest is <= head.
        self.head = await in_db_thread(selectors.head_seq)
        self._last_message_at = time.monotonic()
        for coro in (self._receive_loop(), self._tail_check_loop(), self._membership_loop()):
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
        wants: Callable[[NumberedEvent], bool] | None = None,
    ) -> Stream:
        """A stream from `after` (replayed from the table) or from now, of the events `wants`
        accepts (all, without it). Raises CursorExpired or UnknownCursor for a cursor retention no
        longer covers or that is ahead of every event."""
        if after is not None:
            pruned = await in_db_thread(selectors.pruned_through)
            if after < pruned:
                raise CursorExpired(after, self.head)
            # Cursors are sparse: one this server issued is 0 or the seq of an event it still keeps.
            if after != 0 and not await in_db_thread(selectors.event_exists, seq=after):
                raise UnknownCursor(after, await in_db_thread(selectors.head_seq))
        repos = frozenset(repository_ids) if repository_ids is not None else None
        # No await between reading head (in Stream.__init__) and registering.
        stream = Stream(self, repository_ids=repos, push_id=push_id, after=after, buffer_size=buffer_size, wants=wants)
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

    def watch(self, watcher: Callable[[NumberedEvent], None]) -> None:
        """Call `watcher` with every event dispatched from now on that some stream wants."""
        self._watchers.append(watcher)

    def _dispatch(self, event: NumberedEvent) -> None:
        self.head = event.seq
        wanted = False
        for stream in self._by_repo.get(event.repository_id, ()):
            wanted = stream.offer(event) or wanted
        for stream in self._all_repos:
            wanted = stream.offer(event) or wanted
        if wanted:
            for watcher in self._watchers:
                watcher(event)

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
                CHANNEL_LAYER.failed(exc)  # one line per outage, not one per retry
                self._rejoin_soon()  # Redis may have restarted and forgotten the group
                await asyncio.sleep(1.0)
                continue
            CHANNEL_LAYER.recovered()
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
                    # The layer did not bring these: the hub may no longer be a member of the group.
                    self._rejoin_soon()
                    async with self._lock:
                        await self._backfill(db_head)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database may be down for a while: try again
                if database_unreachable(exc):
                    DATABASE.failed(exc)  # one line per outage, not one a second
                else:
                    logger.warning("live hub: tail check failed: %s", exc)

    async def _join(self) -> bool:
        """Join (or refresh) the live group: True when Redis took it."""
        try:
            await self.layer.group_add(LIVE_GROUP, self.channel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - Redis down: the caller retries
            logger.debug("live hub: group_add failed: %s", exc)
            CHANNEL_LAYER.failed(exc)
            self.joined = False
            return False
        CHANNEL_LAYER.recovered()
        if not self.joined and self._tasks:  # not the first join at start, which _start reports
            logger.warning("live hub: joined the channel layer again")
        self.joined = True
        return True

    def _rejoin_soon(self) -> None:
        self._join_now.set()

    async def _membership_loop(self) -> None:
        """Stay a member of the live group: retry a failed join with backoff until it succeeds,
        rejoin at once when asked (`_rejoin_soon`), and refresh every GROUP_REFRESH_SECONDS."""
        delay = JOIN_RETRY_FIRST_SECONDS
        while True:
            if self.joined:
                delay = JOIN_RETRY_FIRST_SECONDS
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._join_now.wait(), GROUP_REFRESH_SECONDS)
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, JOIN_RETRY_MAX_SECONDS)
            self._join_now.clear()
            await self._join()


__all__ = ["CursorExpired", "Hub", "Stream", "UnknownCursor"]
