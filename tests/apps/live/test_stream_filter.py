"""A stream's own filter (`wants`): events it would skip take no place in its buffer, so a narrow
subscription does not overflow and catch up from the table because its repository is busy; replay
from the table skips them too, across chunks that hold none it wants."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.db import transaction

from apps.live import stream as stream_module
from apps.live.events import NumberedEvent, PushChanged
from apps.live.hub import Hub
from apps.live.publish import publish
from apps.live.relay import LIVE_GROUP, MESSAGE_TYPE, number_next_batch

pytestmark = pytest.mark.django_db(transaction=True)


def _number(push_ids: range) -> list[NumberedEvent]:
    with transaction.atomic():
        publish([
            PushChanged(push_id=i, repository_id=77, repository="autoland", revision="a" * 40, changed=("created",))
            for i in push_ids
        ])  # fmt: skip
    return number_next_batch()[1]


def _wanted(event: NumberedEvent) -> bool:
    return (event.push_id or 0) % 10 == 0


def test_a_filtered_stream_buffers_only_what_it_wants_and_an_unfiltered_one_overflows() -> None:
    async def scenario() -> tuple[list[int], list[int], int, int, list[NumberedEvent]]:
        hub = await Hub.get()
        narrow = await hub.open_stream(repository_ids={77}, buffer_size=3, wants=_wanted)
        everything = await hub.open_stream(repository_ids={77}, buffer_size=3)
        before = hub.head
        batch = await asyncio.to_thread(_number, range(30))  # 3 of them wanted, 30 > the buffer of 3
        await get_channel_layer().group_send(
            LIVE_GROUP, {"type": MESSAGE_TYPE, "prev": before, "events": [e.to_message() for e in batch]}
        )
        narrow_seen = [(await asyncio.wait_for(anext(narrow), 10)).seq for _ in range(3)]
        all_seen = [(await asyncio.wait_for(anext(everything), 10)).seq for _ in range(30)]
        narrow.close()
        everything.close()
        return narrow_seen, all_seen, narrow.overflows, everything.overflows, batch

    try:
        narrow_seen, all_seen, narrow_overflows, all_overflows, batch = asyncio.run(scenario())
    finally:
        Hub._instances.clear()
    assert narrow_seen == [e.seq for e in batch if _wanted(e)]
    assert narrow_overflows == 0
    # Without the filter the same burst overflows the buffer; it still delivers everything, from the table.
    assert all_overflows >= 1
    assert all_seen == [e.seq for e in batch]


def test_replay_skips_unwanted_events_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_module, "REPLAY_CHUNK", 4)  # chunks 2 and 3 of each ten hold nothing wanted
    batch = _number(range(30))

    async def scenario() -> tuple[list[int], bool]:
        hub = await Hub.get()
        # Every event in the table is this test's (the table is emptied between tests).
        stream = await hub.open_stream(repository_ids={77}, after=0, wants=_wanted)
        seen = [(await asyncio.wait_for(anext(stream), 10)).seq for _ in range(3)]
        waiting = asyncio.ensure_future(anext(stream))  # reads the rest of the table, then waits
        for _ in range(1000):
            if stream.caught_up():
                break
            await asyncio.sleep(0.01)
        caught_up = stream.caught_up() and not waiting.done()
        waiting.cancel()
        stream.close()
        return seen, caught_up

    try:
        seen, caught_up = asyncio.run(scenario())
    finally:
        Hub._instances.clear()
    assert seen == [e.seq for e in batch if _wanted(e)]
    assert caught_up  # replayed through the head: waiting for live events, nothing pending
