"""Retention of the event outbox: keep every event newer than 24 hours, and at least the newest
100,000, whichever keeps more. Deletes in small chunks and records how far it deleted, so an
older cursor gets an explicit re-sync instead of a replay with a hole in it."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction

from apps.live.models import Event, RetentionMark

CHUNK = 5_000


def prune_events(
    *,
    now: datetime.datetime,
    keep_hours: float | None = None,
    keep_min_events: int | None = None,
) -> int:
    keep_hours = settings.LIVE_RETENTION_HOURS if keep_hours is None else keep_hours
    keep_min_events = settings.LIVE_RETENTION_MIN_EVENTS if keep_min_events is None else keep_min_events
    nth_newest = list(
        Event.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values_list("seq", flat=True)[keep_min_events - 1 : keep_min_events]
    )
    if not nth_newest:
        return 0  # fewer events than we keep anyway
    cutoff = now - datetime.timedelta(hours=keep_hours)
    deleted = 0
    while True:
        with transaction.atomic():
            doomed = list(
                Event.objects.filter(seq__lt=nth_newest[0], created__lt=cutoff)
                .order_by("seq")
                .values_list("id", "seq")[:CHUNK]
            )
            if not doomed:
                return deleted
            through = int(doomed[-1][1] or 0)
            Event.objects.filter(id__in=[row[0] for row in doomed]).delete()
            mark, _ = RetentionMark.objects.select_for_update().get_or_create(pk=1)
            mark.pruned_through = max(mark.pruned_through, through)
            mark.save(update_fields=["pruned_through"])
        deleted += len(doomed)
