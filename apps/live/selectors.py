"""Reads of the event outbox: replay after a cursor, the head, the retention mark."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Max

from apps.live.events import NumberedEvent
from apps.live.models import Event, RetentionMark

_FIELDS = ("seq", "type", "repository_id", "push_id", "job_id", "payload")


def events_after(
    *,
    after_seq: int,
    through_seq: int | None = None,
    repository_ids: Collection[int] | None = None,
    push_id: int | None = None,
    limit: int = 1000,
) -> list[NumberedEvent]:
    """Numbered events with `after_seq < seq <= through_seq`, in cursor order."""
    qs = Event.objects.filter(seq__gt=after_seq)
    if through_seq is not None:
        qs = qs.filter(seq__lte=through_seq)
    if repository_ids is not None:
        qs = qs.filter(repository_id__in=list(repository_ids))
    if push_id is not None:
        qs = qs.filter(push_id=push_id)
    return [NumberedEvent(*row) for row in qs.order_by("seq").values_list(*_FIELDS)[:limit]]


def event_exists(*, seq: int) -> bool:
    return Event.objects.filter(seq=seq).exists()


def head_seq() -> int:
    """The newest cursor (0 before the first event)."""
    return int(Event.objects.aggregate(head=Max("seq"))["head"] or 0)


def pruned_through() -> int:
    """Events at or below this cursor may have been deleted by retention."""
    mark = RetentionMark.objects.filter(pk=1).values_list("pruned_through", flat=True).first()
    return int(mark or 0)
