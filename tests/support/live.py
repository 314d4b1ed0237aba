"""Helpers for live tests: make events the way services do (publish() inside a transaction)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from django.db import transaction

from apps.jobs.models import Job
from apps.live.events import JobChanged, PushChanged
from apps.live.models import Event
from apps.live.publish import publish
from apps.live.selectors import head_seq
from apps.pushes.models import Push


def publish_jobs(jobs: Iterable[Job], *, changed: tuple[str, ...] = ("state",)) -> None:
    with transaction.atomic():
        publish([JobChanged.from_job(job, changed=changed) for job in jobs])


def publish_push(push: Push, *, changed: tuple[str, ...] = ("created",)) -> None:
    with transaction.atomic():
        publish([PushChanged.from_push(push, changed=changed)])


def settled_cursor(timeout: float = 10.0) -> str:
    """The head cursor once the relay has numbered every committed event (so a subscription after
    it receives only what is published from now on)."""
    deadline = time.monotonic() + timeout
    while Event.objects.filter(seq__isnull=True).exists():
        if time.monotonic() > deadline:
            raise AssertionError("the relay did not number the committed events")
        time.sleep(0.02)
    return str(head_seq())


def settled_cursor_before(publish: Callable[[], None]) -> str:
    """The head cursor before `publish()` runs; with no relay running, nothing gets numbered, so the
    events it publishes all come after the cursor returned."""
    cursor = str(head_seq())
    publish()
    return cursor
