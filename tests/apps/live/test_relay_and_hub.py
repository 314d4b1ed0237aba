"""The relay numbers events in the order they commit; the hub reads back what the layer lost."""

from __future__ import annotations

import asyncio
import datetime
import threading

import pytest
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.live.events import NumberedEvent, PushChanged
from apps.live.hub import Hub, UnknownCursor
from apps.live.models import Event, RetentionMark
from apps.live.publish import publish
from apps.live.relay import LIVE_GROUP, MESSAGE_TYPE, number_batch, number_next_batch
from apps.live.retention import prune_events
from apps.live.selectors import events_after, head_seq, pruned_through

pytestmark = pytest.mark.django_db(transaction=True)


def _event(push_id: int) -> PushChanged:
    return PushChanged(
        push_id=push_id, repository_id=77, repository="autoland", revision="a" * 40, changed=("created",)
    )


def test_publish_writes_nothing_visible_until_commit_and_nothing_on_rollback() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        publish([_event(1)])
        raise RuntimeError("the change failed")
    assert not Event.objects.exists()

    with transaction.atomic():
        publish([_event(2)])
    assert list(Event.objects.values_list("push_id", "seq")) == [(2, None)]


def test_a_batch_is_numbered_in_three_statements_and_carries_its_oldest_commit_time() -> None:
    with transaction.atomic():
        publish([_event(1), _event(2)])
    with transaction.atomic():
        publish([_event(3)])
    oldest = min(Event.objects.values_list("created", flat=True))

    with CaptureQueriesContext(connection) as queries:
        batch = number_batch()

    assert [e.push_id for e in batch.events] == [1, 2, 3]
    assert batch.committed == oldest.timestamp()
    # The read, then the head and the UPDATE in a transaction: the relay runs this for every batch,
    # hundreds a second.
    kinds = [q["sql"].split()[0] for q in queries.captured_queries]
    assert kinds == ["SELECT", "BEGIN", "SELECT", "UPDATE", "COMMIT"], [q["sql"][:80] for q in queries.captured_queries]
    assert number_batch().events == [] and number_batch().committed is None


def test_events_committed_out_of_id_order_are_numbered_in_commit_order() -> None:
    inserted, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with transaction.atomic():
            publish([_event(1)])  # takes the lower id ...
            inserted.set()
            release.wait(10)
        connection.close()  # ... and commits last

    writer = threading.Thread(target=slow_writer)
    writer.start()
    inserted.wait(10)
    with transaction.atomic():
        publish([_event(2)])

    head, first = number_next_batch()
    release.set()
    writer.join()
    head2, second = number_next_batch()

    assert [e.push_id for e in first] == [2]
    assert [e.push_id for e in second] == [1]
    assert head == 0 and head2 == first[0].seq
    assert second[0].seq > first[0].seq  # a later commit always gets a later cursor
    assert number_next_batch() == (0, [])

    # Cursors are sparse: the number just below the first batch (the slow writer's id) was never
    # issued, and a client naming it is told so.
    never_issued = first[0].seq - 1
    assert never_issued > 0 and not Event.objects.filter(seq=never_issued).exists()

    async def resume_from_never_issued() -> None:
        hub = await Hub.get()
        await hub.open_stream(repository_ids=None, after=never_issued)

    try:
        with pytest.raises(UnknownCursor):
            asyncio.run(resume_from_never_issued())
    finally:
        Hub._instances.clear()


def test_batches_keep_id_order_and_chain_heads() -> None:
    with transaction.atomic():
        publish([_event(i) for i in range(1, 6)])
    head, batch = number_next_batch()
    assert head == 0
    assert [e.push_id for e in batch] == [1, 2, 3, 4, 5]
    assert [e.seq for e in batch] == sorted(e.seq for e in batch)
    assert head_seq() == batch[-1].seq
    assert events_after(after_seq=batch[1].seq) == batch[2:]


def test_retention_keeps_a_day_or_the_newest_events_and_records_what_it_deleted() -> None:
    with transaction.atomic():
        publish([_event(i) for i in range(10)])
    _, batch = number_next_batch()
    now = datetime.datetime.now(tz=datetime.UTC)

    assert prune_events(now=now, keep_hours=24, keep_min_events=3) == 0  # all younger than a day
    assert prune_events(now=now + datetime.timedelta(days=2), keep_hours=24, keep_min_events=20) == 0  # too few

    deleted = prune_events(now=now + datetime.timedelta(days=2), keep_hours=24, keep_min_events=3)

    assert deleted == 7
    assert list(Event.objects.order_by("seq").values_list("seq", flat=True)) == [e.seq for e in batch[-3:]]
    assert pruned_through() == batch[6].seq == RetentionMark.objects.get().pruned_through


def test_hub_reads_back_messages_the_layer_lost() -> None:
    """A relay message names the head before it: a gap means lost messages, read from the table."""

    def number(count: int) -> list[NumberedEvent]:
        with transaction.atomic():
            publish([_event(i) for i in range(count)])
        return number_next_batch()[1]

    async def scenario() -> list[int]:
        hub = await Hub.get()
        stream = await hub.open_stream(repository_ids=None)
        lost = await asyncio.to_thread(number, 5)  # numbered, but its message never arrives
        delivered = await asyncio.to_thread(number, 5)
        await get_channel_layer().group_send(
            LIVE_GROUP,
            {"type": MESSAGE_TYPE, "prev": lost[-1].seq, "events": [e.to_message() for e in delivered]},
        )
        seen = [(await anext(stream)).seq for _ in range(10)]
        tail = await asyncio.to_thread(number, 2)  # no message at all: the tail check finds them
        seen += [(await asyncio.wait_for(anext(stream), 10)).seq for _ in range(2)]
        stream.close()
        assert [e.seq for e in lost + delivered + tail] == seen
        return seen

    try:
        seen = asyncio.run(scenario())
    finally:
        Hub._instances.clear()
    assert len(seen) == 12


def test_hub_keeps_listening_after_a_failure_while_dispatching() -> None:
    """A database error while reading a gap back must not end the hub's loop (the process would
    silently stop delivering): the next message is dispatched, and the tail check fills the gap."""

    class FlakyHub(Hub):
        failures = 1

        async def _backfill(self, through: int) -> None:
            if FlakyHub.failures:
                FlakyHub.failures -= 1
                raise RuntimeError("MariaDB went away")
            await super()._backfill(through)

    def number(count: int) -> list[NumberedEvent]:
        with transaction.atomic():
            publish([_event(i) for i in range(count)])
        return number_next_batch()[1]

    async def scenario() -> list[int]:
        loop = asyncio.get_running_loop()
        Hub._instances[loop] = loop.create_task(FlakyHub()._start())
        hub = await Hub.get()
        stream = await hub.open_stream(repository_ids=None)
        lost = await asyncio.to_thread(number, 2)
        first = await asyncio.to_thread(number, 2)
        layer = get_channel_layer()
        message = {"type": MESSAGE_TYPE, "prev": lost[-1].seq, "events": [e.to_message() for e in first]}
        await layer.group_send(LIVE_GROUP, message)  # the gap read-back fails once
        second = await asyncio.to_thread(number, 2)
        await layer.group_send(
            LIVE_GROUP, {"type": MESSAGE_TYPE, "prev": first[-1].seq, "events": [e.to_message() for e in second]}
        )
        seen = [(await asyncio.wait_for(anext(stream), 10)).seq for _ in range(6)]
        stream.close()
        return seen

    try:
        seen = asyncio.run(scenario())
    finally:
        Hub._instances.clear()
    assert seen == sorted(seen) and len(set(seen)) == 6
