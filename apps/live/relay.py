"""The relay: numbers committed outbox rows and sends them to the channel layer.

Why a relay instead of sending from `transaction.on_commit`: concurrent transactions commit out of
id order, and Redis may be down when one commits. The relay only ever sees committed rows (READ
COMMITTED), numbers them in the order it sees them (`seq`, the cursor), and sends each batch to the
one live group with the previous head, so a subscriber's hub can tell when a message was lost and
read the missing events back from the table. Two writes of the same job can never be numbered out
of order: the second transaction waits on the first's row lock before it inserts its event, so its
event commits later and gets a larger id.

It is the only caller of `group_send` in the project.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F, Max

from apps.core.metrics import LIVE_EVENTS
from apps.core.outage import CHANNEL_LAYER
from apps.live import nudge
from apps.live.events import NumberedEvent
from apps.live.models import Event
from apps.live.retention import prune_events

logger = logging.getLogger(__name__)

# The one channel-layer group every Daphne process's hub listens on. One group (not one per
# repository) keeps cursor order across repositories and costs one message per process per batch.
LIVE_GROUP = "live.events"
MESSAGE_TYPE = "live.events"

BATCH_SIZE = 500
POLL_SECONDS = 0.1
PRUNE_EVERY_SECONDS = 60.0
SEND_TIMEOUT_WHILE_DOWN_SECONDS = 1.0


@dataclass(frozen=True)
class Batch:
    previous_head: int
    events: list[NumberedEvent]
    # When the batch's oldest change was committed (its outbox row's time), for the hubs' delivery
    # histogram (treeherder_live_delivery_seconds); None for an empty batch.
    committed: float | None = None


def number_batch(*, batch_size: int = BATCH_SIZE) -> Batch:
    """Give the next committed, unnumbered events their cursors: three statements per batch (the
    read, the head, the numbering UPDATE).

    A plain (non-locking) read sees committed rows only and never waits for a writer still in its
    transaction. seq = id + offset keeps id order within the batch in one UPDATE, and the offset
    puts the batch after the current head. Should a second relay number some of the same rows
    first, the `seq IS NULL` re-check in the UPDATE (or the unique index on seq) catches it, and
    this batch is abandoned and read again.
    """
    rows = list(
        Event.objects.filter(seq__isnull=True)
        .order_by("id")
        .values_list("id", "type", "repository_id", "push_id", "job_id", "payload", "created")[:batch_size]
    )
    if not rows:
        return Batch(0, [])
    try:
        with transaction.atomic():
            head = int(Event.objects.aggregate(head=Max("seq"))["head"] or 0)
            offset = max(0, head + 1 - rows[0][0])
            ids = [row[0] for row in rows]
            updated = Event.objects.filter(id__in=ids, seq__isnull=True).update(seq=F("id") + offset)
            if updated != len(ids):
                raise _RaceLost
    except (_RaceLost, IntegrityError):
        logger.info("live relay: another relay numbered these events first; reading again")
        return Batch(0, [])
    # The time comes with the rows: a separate MIN(created) read per batch was a quarter of the
    # relay's statements.
    oldest = min(row[6] for row in rows)
    return Batch(head, [NumberedEvent(row[0] + offset, *row[1:6]) for row in rows], oldest.timestamp())


def number_next_batch(*, batch_size: int = BATCH_SIZE) -> tuple[int, list[NumberedEvent]]:
    """`number_batch` as (previous head, events)."""
    batch = number_batch(batch_size=batch_size)
    return batch.previous_head, batch.events


class _RaceLost(Exception):
    """Another relay numbered part of this batch."""


def _number_in_thread() -> Batch:
    close_old_connections()
    return number_batch()


async def send_batch(
    layer: Any, previous_head: int, events: list[NumberedEvent], committed: float | None = None
) -> bool:
    """One layer message per batch. Hubs read what fails to arrive back from the table, so a failure
    is only counted: during a Redis outage the relay logs the outage's first and last line
    (apps.core.outage CHANNEL_LAYER), not one per batch (issue 15: a line per batch, every 0.5 s)."""
    message: dict[str, Any] = {"type": MESSAGE_TYPE, "prev": previous_head, "events": [e.to_message() for e in events]}
    if committed is not None:
        message["committed"] = committed
    try:
        if CHANNEL_LAYER.down:
            # Already known to be down: give up on this batch quickly. A Redis that accepts and never
            # answers holds each send for REDIS_SOCKET_TIMEOUT, which would number one batch per
            # 10 s; the hubs deliver from the table meanwhile, but only what is numbered.
            await asyncio.wait_for(layer.group_send(LIVE_GROUP, message), SEND_TIMEOUT_WHILE_DOWN_SECONDS)
        else:
            await layer.group_send(LIVE_GROUP, message)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - Redis down must never stop numbering
        CHANNEL_LAYER.failed(exc)
        logger.debug("live relay: group_send failed (%s); hubs will read seq %d-%d from the table", exc,
                     events[0].seq, events[-1].seq)  # fmt: skip
        return False
    CHANNEL_LAYER.recovered()
    LIVE_EVENTS.labels(stage="relayed").inc(len(events))
    return True


class Relay:
    """Runs until `stop` is set. One is enough; a second is safe (see number_next_batch) but idle work."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        # Without Redis (embedded mode) there is no doorbell: poll.
        self.use_nudge = nudge.available()
        self.numbered = 0
        self._last_prune = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        logger.info("live relay started (layer %s)", type(self.layer).__name__)
        while not stop.is_set():
            try:
                batch = await sync_to_async(_number_in_thread, thread_sensitive=False)()
            except Exception:
                logger.exception("live relay: numbering failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if batch.events:
                self.numbered += len(batch.events)
                await send_batch(self.layer, batch.previous_head, batch.events, batch.committed)
                continue  # drain the backlog before waiting
            await self._maybe_prune()
            await self._wait(stop)

    async def _wait(self, stop: asyncio.Event) -> None:
        if self.use_nudge:
            # Blocks in a thread on the Redis doorbell; returns at once when a writer commits.
            await sync_to_async(nudge.wait, thread_sensitive=False)(POLL_SECONDS * 5)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)

    async def _maybe_prune(self) -> None:
        # With services, retention is a scheduled job (maintenance.prune_live_events); embedded mode
        # has no scheduler, so its relay (inside the web process) prunes.
        if not settings.EMBEDDED:
            return
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY_SECONDS:
            return
        self._last_prune = now
        try:
            deleted = await sync_to_async(prune_events, thread_sensitive=False)(
                now=datetime.datetime.now(tz=datetime.UTC)
            )
            if deleted:
                logger.info("live relay: retention deleted %d events", deleted)
        except Exception:
            logger.exception("live relay: retention failed")
