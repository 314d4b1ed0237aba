"""Dead letters: record the messages ingestion gave up on, and hand them back for another try."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from apps.core.columns import max_length
from apps.core.metrics import metrics_incr
from apps.core.pulse import PulseEnvelope
from apps.dead_letters.models import DeadLetter

logger = logging.getLogger(__name__)


def dead_letters_store(*, kind: str, reason: str, detail: str, messages: Iterable[PulseEnvelope], attempts: int) -> int:
    """Keep the messages, log and count them. Returns how many were stored."""
    rows = [
        DeadLetter(
            kind=kind,
            reason=reason[: max_length(DeadLetter, "reason")],
            detail=detail,
            message=message,
            attempts=attempts,
        )
        for message in messages
    ]
    DeadLetter.objects.bulk_create(rows)
    for row in rows:
        logger.error(
            "dead letter (%s, %s) after %d attempts: %s [exchange %s]",
            kind,
            reason,
            attempts,
            detail,
            row.message.get("exchange"),
        )
    metrics_incr("pulse_dead_letters", len(rows), kind=kind, reason=reason)
    return len(rows)


def dead_letters_retry(
    *, enqueue: Callable[[str, list[PulseEnvelope]], None], ids: Iterable[int] | None = None, kind: str | None = None
) -> int:
    """Hand dead letters (all not yet retried, or the given ids) to `enqueue(kind, messages)`.

    Marked retried in the same transaction that reads them; if enqueueing fails nothing is marked.
    """
    with transaction.atomic():
        letters = DeadLetter.objects.select_for_update().filter(retried_at__isnull=True)
        if ids is not None:
            letters = letters.filter(id__in=list(ids))
        if kind:
            letters = letters.filter(kind=kind)
        rows = list(letters)
        for letter_kind in {row.kind for row in rows}:
            enqueue(letter_kind, [row.message for row in rows if row.kind == letter_kind])
        DeadLetter.objects.filter(id__in=[row.id for row in rows]).update(retried_at=timezone.now())
    return len(rows)
