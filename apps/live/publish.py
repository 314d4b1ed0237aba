"""The one publish path for live events (CONVENTIONS.md §4). Only apps/*/services.py call it.

`publish()` writes the events to the outbox in the caller's transaction; nothing reaches a
subscriber unless that transaction commits. After commit it rings the relay's doorbell; the relay
gives each committed event its cursor and sends it to the channel layer (`apps.live.relay`, the
only caller of `group_send`).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from django.db import connection, transaction
from django.utils import timezone

from apps.core.metrics import LIVE_EVENTS
from apps.live import nudge
from apps.live.events import JobChanged, LiveEvent, PushChanged
from apps.live.models import Event

# One multi-row INSERT (mysqlclient turns executemany of an INSERT into one statement): ingestion
# publishes an event per changed job, and Django's bulk_create compiler cost more than the insert.
_INSERT = (
    f"INSERT INTO {Event._meta.db_table} (type, repository_id, push_id, job_id, payload, created) "  # noqa: S608
    "VALUES (%s, %s, %s, %s, %s, %s)"
)


def publish(events: Iterable[LiveEvent]) -> None:
    created = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [
        (
            event.type,
            event.repository_id,
            event.push_id,
            event.job_id if isinstance(event, JobChanged) else None,
            orjson.dumps(event.payload()).decode(),
            created,
        )
        for event in events
    ]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT, rows)
        transaction.on_commit(nudge.ring)
        transaction.on_commit(lambda: LIVE_EVENTS.labels(stage="published").inc(len(rows)))


__all__ = ["JobChanged", "PushChanged", "publish"]
