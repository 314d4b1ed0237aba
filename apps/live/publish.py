"""The one publish path for live events (CONVENTIONS.md §4). Only apps/*/services.py call it.

`publish()` writes the events to the outbox in the caller's transaction; nothing reaches a
subscriber unless that transaction commits. After commit it rings the relay's doorbell; the relay
gives each committed event its cursor and sends it to the channel layer (`apps.live.relay`, the
only caller of `group_send`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from apps.live import nudge
from apps.live.events import JobChanged, LiveEvent, PushChanged
from apps.live.models import Event


def publish(events: Iterable[LiveEvent]) -> None:
    rows = []
    for event in events:
        rows.append(
            Event(
                type=event.type,
                repository_id=event.repository_id,
                push_id=event.push_id,
                job_id=event.job_id if isinstance(event, JobChanged) else None,
                payload=event.payload(),
            )
        )
    if rows:
        Event.objects.bulk_create(rows)
        transaction.on_commit(nudge.ring)


__all__ = ["JobChanged", "PushChanged", "publish"]
