"""The job store: a batch of jobs written in one transaction, states only moving forward.

Per batch, whatever its size: lock the rows that exist (SELECT ... FOR UPDATE, in id order as
every writer of job rows does, so concurrent batches and sheriffs' mutations never deadlock on each
other), insert the new ones, update the others with one
**conditional** upsert whose every assignment is guarded by "the stored state ranks below the new
one", write Taskcluster ids and log references, and publish one event per job that really changed,
all in the same transaction. A duplicate delivery, or a state that is not ahead of the stored one
(a late `pending` after `running`, anything after `completed`), changes nothing and emits nothing.

If another worker inserts the same new guid between our lock and our insert, the insert fails on
the unique key; the whole batch is then run again, and finds that row locked and stored.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.columns import max_length
from apps.core.transactions import retry_conflicts
from apps.jobs.models import FailureClassification, Job, JobLog, TaskclusterMetadata
from apps.jobs.services.refdata import RefIds, refdata_cache_clear, refdata_ids_for_jobs
from apps.live.events import JobChanged
from apps.live.publish import publish
from apps.repositories.models import Repository

logger = logging.getLogger(__name__)

STATE_RANK = Job.STATE_RANK  # the model's, the one source of truth
# Columns an update may change; `state` is written last (see _conditional_upsert_sql).
UPDATE_COLUMNS = (
    "push_id",
    "signature_id",
    "build_platform_id",
    "machine_platform_id",
    "machine_id",
    "job_type_id",
    "job_group_id",
    "product_id",
    "option_collection_hash",
    "who",
    "reason",
    "result",
    "tier",
    "submit_time",
    "start_time",
    "end_time",
)
EVENT_FIELDS = ("state", "result", "tier")


@dataclass
class PreparedJob:
    """One job to store: its repository, its push and Treeherder's internal job dict."""

    repository: Repository
    push_id: int
    data: dict[str, Any]


@dataclass
class StoreResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    events: list[JobChanged] = field(default_factory=list)


class ConcurrentInsert(Exception):
    pass


def _time(data: dict[str, Any], key: str) -> datetime.datetime | None:
    value = data.get(key)
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value else None


def _row(job: PreparedJob, ids: RefIds) -> dict[str, Any]:
    data = job.data
    return {
        "guid": data["job_guid"][: max_length(Job, "guid")],
        "repository_id": job.repository.id,
        "push_id": job.push_id,
        "signature_id": ids.signature_id,
        "build_platform_id": ids.build_platform_id,
        "machine_platform_id": ids.machine_platform_id,
        "machine_id": ids.machine_id,
        "job_type_id": ids.job_type_id,
        "job_group_id": ids.job_group_id,
        "product_id": ids.product_id,
        "option_collection_hash": ids.option_collection_hash,
        "who": (data.get("who") or "unknown")[: max_length(Job, "who")],
        "reason": (data.get("reason") or "scheduled")[: max_length(Job, "reason")],
        "state": data["state"][: max_length(Job, "state")],
        "result": (data.get("result") or "unknown")[: max_length(Job, "result")],
        "tier": data.get("tier") or 1,
        "submit_time": _time(data, "submit_timestamp"),
        "start_time": _time(data, "start_timestamp"),
        "end_time": _time(data, "end_timestamp"),
    }


def _coalesce(jobs: Sequence[PreparedJob]) -> list[PreparedJob]:
    """One entry per guid: the most advanced state (the first of equals), in guid order."""
    best: dict[str, PreparedJob] = {}
    for job in jobs:
        guid = job.data["job_guid"]
        current = best.get(guid)
        if current is None or STATE_RANK[job.data["state"]] > STATE_RANK[current.data["state"]]:
            best[guid] = job
    return [best[guid] for guid in sorted(best)]


def _sql_rank(column: str) -> str:
    """SQL for the rank of a state column: FIELD() over the states in STATE_RANK's order (a
    position, 1-based, ordered as the ranks are)."""
    states = sorted(STATE_RANK, key=STATE_RANK.__getitem__)
    if not all(state.isalpha() and state.islower() for state in states):
        raise ValueError(f"state names must be plain lowercase words to be SQL literals: {states}")
    return f"FIELD({column}, {', '.join(f"'{state}'" for state in states)})"


def _conditional_upsert_sql(count: int) -> str:
    """MySQL/MariaDB: INSERT ... ON DUPLICATE KEY UPDATE where each assignment applies only if the
    stored state ranks below the incoming one. Assignments see columns already assigned, so the
    rank test must run before `state` changes: every other column comes first, `state` last."""
    columns = ("id", "guid", "repository_id", *UPDATE_COLUMNS, "failure_classification_id", "last_modified", "state")
    ahead = f"{_sql_rank('state')} < {_sql_rank('VALUES(state)')}"
    assignments = [f"{col} = IF({ahead}, VALUES({col}), {col})" for col in (*UPDATE_COLUMNS, "last_modified")]
    assignments.append(f"state = IF({ahead}, VALUES(state), state)")
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # Only constant column names and %s placeholders: values are always bound parameters.
    sql = f"INSERT INTO job ({', '.join(columns)}) VALUES {', '.join([placeholders] * count)} "  # noqa: S608
    return sql + f"ON DUPLICATE KEY UPDATE {', '.join(assignments)}"


def _insert(table: str, columns: Sequence[str], rows: list[list[Any]], *, ignore: bool = False) -> None:
    """One multi-row INSERT. Django's bulk_create spends more CPU compiling it than the database
    spends running it (bench/ingest profile); values are still bound parameters."""
    if not rows:
        return
    verb = ("INSERT IGNORE" if connection.vendor == "mysql" else "INSERT OR IGNORE") if ignore else "INSERT"
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"{verb} INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(rows))}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


JOB_INSERT_COLUMNS = ("guid", "repository_id", *UPDATE_COLUMNS, "failure_classification_id", "last_modified", "state")


def _insert_jobs(rows: list[dict[str, Any]], now: datetime.datetime) -> dict[str, int]:
    """Insert new jobs; returns guid -> id. A duplicate guid raises IntegrityError."""
    adapt = connection.ops.adapt_datetimefield_value
    values = []
    for row in rows:
        full = {**row, "failure_classification_id": FailureClassification.NOT_CLASSIFIED, "last_modified": now}
        values.append(
            [adapt(full[col]) if col.endswith(("_time", "last_modified")) else full[col] for col in JOB_INSERT_COLUMNS]
        )
    _insert("job", JOB_INSERT_COLUMNS, values)
    return dict(Job.objects.filter(guid__in=[row["guid"] for row in rows]).values_list("guid", "id"))


def _apply_updates(updates: list[tuple[int, dict[str, Any]]], now: datetime.datetime) -> None:
    if not updates:
        return
    if connection.vendor == "mysql":
        adapt = connection.ops.adapt_datetimefield_value
        params: list[Any] = []
        for job_id, row in updates:
            params += [job_id, row["guid"], row["repository_id"]]
            params += [adapt(row[col]) if col.endswith("_time") else row[col] for col in UPDATE_COLUMNS]
            params += [FailureClassification.NOT_CLASSIFIED, adapt(now), row["state"]]
        with connection.cursor() as cursor:
            cursor.execute(_conditional_upsert_sql(len(updates)), params)
        return
    # SQLite (embedded mode): one conditional UPDATE per row; its single writer makes it atomic too.
    for job_id, row in updates:
        lower = [state for state, rank in STATE_RANK.items() if rank < STATE_RANK[row["state"]]]
        Job.objects.filter(id=job_id, state__in=lower).update(
            **{col: row[col] for col in UPDATE_COLUMNS}, state=row["state"], last_modified=now
        )


def _store_once(jobs: list[PreparedJob]) -> StoreResult:
    result = StoreResult()
    ids = refdata_ids_for_jobs(jobs=[(job.repository.name, job.data) for job in jobs])
    rows = [_row(job, ref) for job, ref in zip(jobs, ids, strict=True)]
    # Lock the stored rows in id order, the order every writer of job rows uses (the sheriffs'
    # mutations, apps/classification/services.py). Locking them through the guid index took them
    # in guid order, and a classifyJobs holding job A while waiting for B deadlocked with a batch
    # holding B and waiting for A (issue 15). The ids come from a plain read first; a row inserted
    # after it is "new" here, and its insert then fails on the unique guid as before (ConcurrentInsert).
    known = list(Job.objects.filter(guid__in=[row["guid"] for row in rows]).values_list("id", flat=True))
    existing: dict[str, dict[str, Any]] = (
        {
            row["guid"]: dict(row)
            for row in Job.objects.select_for_update()
            .filter(id__in=known)
            .order_by("id")
            .values("id", "guid", "state", "result", "tier", "failure_classification_id")
        }
        if known
        else {}
    )
    now = timezone.now()
    to_create: list[tuple[PreparedJob, dict[str, Any]]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    touched: list[tuple[PreparedJob, dict[str, Any], int, tuple[str, ...], int]] = []
    for job, row in zip(jobs, rows, strict=True):
        before = existing.get(row["guid"])
        if before is None:
            to_create.append((job, row))
        elif STATE_RANK[row["state"]] > STATE_RANK[before["state"]]:
            updates.append((before["id"], row))
            changed = tuple(name for name in EVENT_FIELDS if row[name] != before[name])
            touched.append((job, row, before["id"], changed, before["failure_classification_id"]))
        else:
            result.unchanged += 1
    if to_create:
        try:
            with transaction.atomic():
                new_ids = _insert_jobs([row for _, row in to_create], now)
        except IntegrityError as exc:
            raise ConcurrentInsert(str(exc)) from exc
        _insert(
            TaskclusterMetadata._meta.db_table,
            ("job_id", "task_id", "retry_id"),
            [
                [new_ids[row["guid"]], job.data["taskcluster_task_id"], job.data["taskcluster_retry_id"]]
                for job, row in to_create
            ],
            ignore=True,
        )
        for job, row in to_create:
            touched.append((job, row, new_ids[row["guid"]], ("created",), FailureClassification.NOT_CLASSIFIED))
    updates.sort(key=lambda update: update[0])  # the upsert's row locks in id order too
    _apply_updates(updates, now)
    _insert(
        JobLog._meta.db_table,
        ("job_id", "name", "url", "status"),
        [
            [
                job_id,
                ref["name"][: max_length(JobLog, "name")],
                ref["url"][: max_length(JobLog, "url")],
                JobLog.Status.PENDING,
            ]
            for job, _, job_id, _, _ in touched
            for ref in job.data.get("log_references", [])
        ],
        ignore=True,
    )
    refs = {row["guid"]: ref for row, ref in zip(rows, ids, strict=True)}
    for job, row, job_id, changed, classification in touched:
        ref = refs[row["guid"]]
        result.events.append(
            JobChanged.of(
                job_id=job_id,
                push_id=row["push_id"],
                repository=job.repository,
                guid=row["guid"],
                state=row["state"],
                result=row["result"],
                tier=row["tier"],
                failure_classification_id=classification,
                platform=ref.platform,
                job_type_symbol=ref.job_type_symbol,
                job_group_symbol=ref.job_group_symbol,
                changed=changed,
            )
        )
    result.created = len(to_create)
    result.updated = len(updates)
    publish(result.events)
    return result


# A deadlock or lock wait timeout (with the log parser's or a sheriff's writes) runs the batch again
# at once, instead of costing one of the Celery task's retries and its backoff (INGEST_RETRY_BASE_SECONDS).
@retry_conflicts("jobs_store")
def jobs_store(*, jobs: Sequence[PreparedJob], attempts: int = 3) -> StoreResult:
    """Store a batch of jobs atomically. Returns what was created, updated or left unchanged."""
    batch = _coalesce(jobs)
    duplicates = len(jobs) - len(batch)
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                result = _store_once(batch)
            result.unchanged += duplicates
            return result
        except ConcurrentInsert as exc:
            if attempt == attempts:
                raise IntegrityError(f"job insert kept conflicting: {exc}") from exc
            # A stale cached refdata id fails the same way as a concurrent insert: start clean.
            refdata_cache_clear()
            logger.info("job batch raced another writer (%s); storing it again", exc)
    raise AssertionError("unreachable")
