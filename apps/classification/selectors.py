"""Reads for sheriff annotations: classifications (notes), bug links, investigated tests.

`notes` and `bug_links` are the live ones; the `*_history` reads include deleted rows (the audit
trail), newest first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from apps.classification.models import BugJobMap, InvestigatedTest, JobNote


def notes_by_job_ids(job_ids: Iterable[int]) -> dict[int, list[JobNote]]:
    """Each job's live notes, newest first (the newest one sets the job's classification)."""
    found: dict[int, list[JobNote]] = defaultdict(list)
    notes = JobNote.objects.filter(job_id__in=list(job_ids), deleted_at__isnull=True).select_related("user")
    for note in notes.order_by("job_id", "-created", "-id"):
        found[note.job_id].append(note)
    return found


def note_history_by_job_ids(job_ids: Iterable[int]) -> dict[int, list[JobNote]]:
    """Each job's notes including deleted ones, newest first."""
    found: dict[int, list[JobNote]] = defaultdict(list)
    notes = JobNote.objects.filter(job_id__in=list(job_ids)).select_related("user", "deleted_by")
    for note in notes.order_by("job_id", "-created", "-id"):
        found[note.job_id].append(note)
    return found


def bug_links_by_job_ids(job_ids: Iterable[int]) -> dict[int, list[BugJobMap]]:
    """Each job's live bug links, oldest first."""
    found: dict[int, list[BugJobMap]] = defaultdict(list)
    links = BugJobMap.objects.filter(job_id__in=list(job_ids), active=True).select_related("user")
    for link in links.order_by("job_id", "id"):
        found[link.job_id].append(link)
    return found


def bug_link_history_by_job_ids(job_ids: Iterable[int]) -> dict[int, list[BugJobMap]]:
    """Each job's bug links including unlinked ones, newest first."""
    found: dict[int, list[BugJobMap]] = defaultdict(list)
    links = BugJobMap.objects.filter(job_id__in=list(job_ids)).select_related("user", "deleted_by")
    for link in links.order_by("job_id", "-id"):
        found[link.job_id].append(link)
    return found


def investigated_tests_by_push_ids(push_ids: Iterable[int]) -> dict[int, list[InvestigatedTest]]:
    found: dict[int, list[InvestigatedTest]] = defaultdict(list)
    rows = InvestigatedTest.objects.filter(push_id__in=list(push_ids)).select_related("user", "job_type")
    for row in rows.order_by("push_id", "id"):
        found[row.push_id].append(row)
    return found
