"""Reads of jobs as model instances: keyset pages, per-push pages in one query, by id and guid."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from apps.jobs.models import Job, JobLog
from apps.jobs.selectors.filters import JobFilter


@dataclass(frozen=True)
class JobPage:
    jobs: list[Job]
    has_next_page: bool


def _jobs() -> QuerySet[Job]:
    # The Taskcluster ids are one-to-one with the job: join them rather than load them apart.
    return Job.objects.select_related("taskcluster_metadata")


def job_page(*, filters: JobFilter, first: int, after_id: int | None = None) -> JobPage:
    """One page of jobs in id order, by keyset on id (`id > after_id`), never OFFSET."""
    qs = _jobs().filter(filters.q())
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    rows = list(qs.order_by("id")[: first + 1])
    return JobPage(jobs=rows[:first], has_next_page=len(rows) > first)


def job_pages_by_push_ids(
    *, push_ids: Iterable[int], filters: JobFilter, first: int, after_id: int | None = None
) -> dict[int, JobPage]:
    """The first page of jobs of each push, all pushes in one query.

    ROW_NUMBER() per push keeps `first + 1` rows of each (the extra one says whether a next page
    exists), so the number of queries does not grow with the number of pushes.
    """
    ids = list(push_ids)
    qs = _jobs().filter(filters.q(), push_id__in=ids)
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    qs = qs.annotate(
        row_number=Window(expression=RowNumber(), partition_by=[F("push_id")], order_by=F("id").asc())
    ).filter(row_number__lte=first + 1)
    grouped: dict[int, list[Job]] = defaultdict(list)
    for job in qs.order_by("push_id", "id"):
        grouped[job.push_id].append(job)
    return {pid: JobPage(jobs=grouped[pid][:first], has_next_page=len(grouped[pid]) > first) for pid in ids}


def jobs_by_ids(ids: Iterable[int]) -> dict[int, Job]:
    return _jobs().in_bulk(list(ids))


def jobs_by_guids(guids: Iterable[str]) -> dict[str, Job]:
    return {job.guid: job for job in _jobs().filter(guid__in=list(guids))}


def logs_by_job_ids(job_ids: Iterable[int]) -> dict[int, list[JobLog]]:
    found: dict[int, list[JobLog]] = defaultdict(list)
    for log in JobLog.objects.filter(job_id__in=list(job_ids)).order_by("job_id", "id"):
        found[log.job_id].append(log)
    return found
