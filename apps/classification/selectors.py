"""Reads for sheriff annotations: classifications (notes) and bug links."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from apps.classification.models import BugJobMap, JobNote


def notes_by_job_ids(job_ids: Iterable[int]) -> dict[int, list[JobNote]]:
    """Each job's notes, newest first (the newest one sets the job's classification)."""
    found: dict[int, list[JobNote]] = defaultdict(list)
    notes = JobNote.objects.filter(job_id__in=list(job_ids)).select_related("user")
    for note in notes.order_by("job_id", "-created", "-id"):
        found[note.job_id].append(note)
    return found


def bug_links_by_job_ids(job_ids: Iterable[int]) -> dict[int, list[BugJobMap]]:
    """Each job's bug links, oldest first."""
    found: dict[int, list[BugJobMap]] = defaultdict(list)
    for link in BugJobMap.objects.filter(job_id__in=list(job_ids)).select_related("user").order_by("job_id", "id"):
        found[link.job_id].append(link)
    return found
