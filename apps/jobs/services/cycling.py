"""Data cycling (`cycle_data`, daily): jobs older than their repository's retention are deleted with
their failure data; pushes, commits and the bug cache stay (Treeherder never cycles them).

Retention: CYCLE_DATA_DAYS (120) for every repository, CYCLE_DATA_TRY_DAYS (30) for try
repositories (`is_try_repo`), and CYCLE_DATA_REPOSITORY_DAYS (`name=days,...`) above both.

How, and why so:

* A job is old when its `submit_time` is before the cutoff (a job that never got one: its
  `last_modified`). Candidates are read oldest first through the (repository, submit_time) index,
  at most `chunk_size` at a time, and deleted in id order in one transaction per chunk, with
  `sleep` seconds between chunks so ingestion's writes interleave with the deletes.
* Deleting a job deletes everything that points at it (Django's collector: logs, taskcluster
  metadata, text log errors, group statuses, notes, bug links, and whatever other apps add later);
  failure lines name their job by guid, not a key, so they are deleted first, explicitly.
* Every chunk is its own transaction and the candidates are re-read each time, so an interrupted
  run (Ctrl-C, SIGTERM, a killed worker) leaves each job either whole or gone, and the next run
  simply goes on from what is left.
* Afterwards reference data no job uses any more (job types and groups, machines, build and machine
  platforms, test groups) is deleted, in chunks; a row that a job started using in the meantime is
  refused by its foreign key and kept. Workers that cached a deleted id recover: the job insert
  fails its foreign key and the reference-data cache is cleared (apps/jobs/services/refdata.py).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from apps.failures.models import FailureLine, Group, GroupStatus
from apps.jobs.models import BuildPlatform, Job, JobGroup, JobType, Machine, MachinePlatform
from apps.repositories.models import Repository

logger = logging.getLogger(__name__)

Report = Callable[[str], None]


class Interrupted(Exception):
    """Raised between chunks when `should_stop()` says so; what was deleted stays deleted."""


@dataclass
class CycleResult:
    jobs_deleted: int = 0
    failure_lines_deleted: int = 0
    rows_deleted: dict[str, int] = field(default_factory=dict)  # every table the deletes reached
    refdata_deleted: dict[str, int] = field(default_factory=dict)
    to_delete: dict[str, int] = field(default_factory=dict)  # per repository, counted at the start
    chunks: int = 0


def retention_days(repository: Repository) -> int:
    overrides: dict[str, int] = settings.CYCLE_DATA_REPOSITORY_DAYS
    if repository.name in overrides:
        return overrides[repository.name]
    return int(settings.CYCLE_DATA_TRY_DAYS if repository.is_try_repo else settings.CYCLE_DATA_DAYS)


def _old_jobs(repository: Repository, cutoff: datetime.datetime) -> models.QuerySet[Job]:
    return Job.objects.filter(repository=repository).filter(
        Q(submit_time__lt=cutoff) | Q(submit_time__isnull=True, last_modified__lt=cutoff)
    )


def _next_chunk(repository: Repository, cutoff: datetime.datetime, size: int) -> list[tuple[int, str]]:
    # Two index range reads (submit_time, then the rare jobs without one), oldest first.
    rows = list(
        Job.objects.filter(repository=repository, submit_time__lt=cutoff)
        .order_by("submit_time", "id")
        .values_list("id", "guid")[:size]
    )
    if len(rows) < size:
        rows += list(
            Job.objects.filter(repository=repository, submit_time__isnull=True, last_modified__lt=cutoff)
            .order_by("id")
            .values_list("id", "guid")[: size - len(rows)]
        )
    return sorted(rows)


def _delete_chunk(repository: Repository, rows: list[tuple[int, str]], result: CycleResult) -> None:
    ids = [row[0] for row in rows]
    guids = [row[1] for row in rows]
    with transaction.atomic():
        # Lock the jobs in id order first: a concurrent ingestion update of one of them waits.
        list(Job.objects.select_for_update().filter(id__in=ids).order_by("id").values_list("id", flat=True))
        lines, _ = FailureLine.objects.filter(repository=repository, job_guid__in=guids).delete()
        _, per_model = Job.objects.filter(id__in=ids).delete()
    result.failure_lines_deleted += lines
    for label, count in per_model.items():
        result.rows_deleted[label] = result.rows_deleted.get(label, 0) + count
    result.jobs_deleted += per_model.get(Job._meta.label, 0)


def _rate_line(done: int, total: int, started: float) -> str:
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = done / elapsed
    remaining = max(total - done, 0)
    eta = remaining / rate if rate else 0.0
    return f"{done}/{total} jobs deleted, {rate:.0f}/s, {remaining} remaining (about {eta:.0f} s)"


def cycle_jobs(
    *,
    now: datetime.datetime,
    repositories: list[str] | None = None,
    days: int | None = None,
    chunk_size: int | None = None,
    sleep: float | None = None,
    dry_run: bool = False,
    report: Report | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CycleResult:
    """Delete old jobs (see the module docstring). `days` overrides every repository's retention.
    `report` receives progress lines; `should_stop` is asked between chunks (then `Interrupted`)."""
    chunk_size = chunk_size or int(settings.CYCLE_DATA_CHUNK_SIZE)
    sleep = float(settings.CYCLE_DATA_SLEEP_SECONDS) if sleep is None else sleep
    say = report or (lambda line: logger.info("cycle_data: %s", line))
    result = CycleResult()
    queryset = Repository.objects.order_by("id")
    if repositories:
        queryset = queryset.filter(name__in=repositories)
    plan: list[tuple[Repository, datetime.datetime]] = []
    for repository in queryset:
        keep = days if days is not None else retention_days(repository)
        cutoff = now - datetime.timedelta(days=keep)
        count = _old_jobs(repository, cutoff).count()
        if count:
            result.to_delete[repository.name] = count
            plan.append((repository, cutoff))
            say(f"{repository.name}: {count} jobs older than {keep} days (before {cutoff:%Y-%m-%d %H:%M})")
    total = sum(result.to_delete.values())
    if dry_run or not total:
        say(f"{total} jobs to delete" + (" (dry run: nothing deleted)" if dry_run else ""))
        return result
    started = time.monotonic()
    for repository, cutoff in plan:
        while rows := _next_chunk(repository, cutoff, chunk_size):
            if should_stop and should_stop():
                say("interrupted; " + _rate_line(result.jobs_deleted, total, started))
                raise Interrupted
            _delete_chunk(repository, rows, result)
            result.chunks += 1
            say(f"{repository.name}: " + _rate_line(result.jobs_deleted, total, started))
            if sleep:
                time.sleep(sleep)
    return result


# Reference data a job (or a group status) points at, and what points at it.
REFDATA: list[tuple[type[models.Model], list[tuple[type[models.Model], str]]]] = [
    (JobType, [(Job, "job_type_id")]),
    (JobGroup, [(Job, "job_group_id")]),
    (Machine, [(Job, "machine_id")]),
    (BuildPlatform, [(Job, "build_platform_id")]),
    (MachinePlatform, [(Job, "machine_platform_id")]),
    (Group, [(GroupStatus, "group_id")]),
]


def _unused(model: type[models.Model], users: list[tuple[type[models.Model], str]]) -> models.QuerySet[models.Model]:
    queryset = model._default_manager.all()
    for user, column in users:
        queryset = queryset.exclude(id__in=user._default_manager.values(column))
    return queryset


def prune_reference_data(
    *, chunk_size: int = 1000, dry_run: bool = False, report: Report | None = None
) -> dict[str, int]:
    """Delete reference data no job uses. Returns {table: rows deleted (or, dry run, unused)}."""
    say = report or (lambda line: logger.info("cycle_data: %s", line))
    deleted: dict[str, int] = {}
    for model, users in REFDATA:
        table = model._meta.db_table
        if dry_run:
            deleted[table] = _unused(model, users).count()
            continue
        deleted[table] = 0
        after = 0
        while ids := list(
            _unused(model, users).filter(id__gt=after).order_by("id").values_list("id", flat=True)[:chunk_size]
        ):
            after = ids[-1]
            try:
                with transaction.atomic():
                    count, _ = _unused(model, users).filter(id__in=ids).delete()
            except IntegrityError:
                # A job took one of these rows in the meantime; the next run deletes the rest.
                logger.info("cycle_data: %s rows %d-%d came into use; kept", table, ids[0], ids[-1])
                continue
            deleted[table] += count
    say("unused reference data " + ("(dry run) " if dry_run else "deleted: ") + str(deleted))
    return deleted
