"""The job table: many jobs as columns (one list per field), for the job view's grid.

Object-per-job reads cost about 4-9 us per field in a GraphQL executor; 20,000 jobs with 25 fields
take seconds. This read selects only the requested columns with `values_list`, computes epoch
milliseconds in SQL (no per-value datetime objects), and returns each column as one Python list,
which the GraphQL layer serves as one leaf value. Reference data (job types, groups, platforms,
option collections) is replaced by an index into a list of the distinct rows the page uses, so
each is sent once.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Expression, F, Func, IntegerField, Q
from django.db.models.sql.compiler import SQLCompiler

from apps.jobs.models import Job
from apps.jobs.selectors.filters import JobFilter


class EpochMillis(Func):
    """A datetime column as integer milliseconds since the Unix epoch (UTC), NULL stays NULL."""

    output_field = IntegerField()

    def as_mysql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> tuple[str, Sequence[Any]]:
        # TIMESTAMPDIFF is independent of the session time zone (UNIX_TIMESTAMP is not); the stored
        # values are UTC.
        return self.as_sql(
            compiler,
            connection,
            template="(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', %(expressions)s) DIV 1000)",
            **extra,
        )

    def as_sqlite(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, Sequence[Any]]:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400000.0) AS INTEGER)",
            **extra,
        )


# Each column: the expressions it reads from the database. Reference columns read the foreign key
# and become indexes into the page's list of distinct rows.
_TIME_COLUMNS = ("submit_time", "start_time", "end_time", "last_modified")
_SOURCES: dict[str, Expression | F] = {
    "id": F("id"),
    "push_id": F("push_id"),
    "guid": F("guid"),
    "task_id": F("taskcluster_metadata__task_id"),
    "retry_id": F("taskcluster_metadata__retry_id"),
    "state": F("state"),
    "result": F("result"),
    "tier": F("tier"),
    "failure_classification_id": F("failure_classification_id"),
    "job_type": F("job_type_id"),
    "job_group": F("job_group_id"),
    "platform": F("machine_platform_id"),
    "options": F("option_collection_hash"),
    "signature": F("signature__signature"),
    "who": F("who"),
    "reason": F("reason"),
    **{name: EpochMillis(name) for name in _TIME_COLUMNS},
}
# Computed in Python from other columns.
_DERIVED: dict[str, tuple[str, ...]] = {"duration": ("submit_time", "start_time", "end_time")}
REFERENCE_COLUMNS = ("job_type", "job_group", "platform", "options")
COLUMNS: tuple[str, ...] = (*_SOURCES, *_DERIVED)


@dataclass
class JobTable:
    """Selected columns (name -> values, one per job, in (push, id) order) plus reference lists.

    `job_type_ids`, `job_group_ids`, `platform_ids` and `option_hashes` list the distinct rows in
    index order: the `job_type` column's value 3 means `job_type_ids[3]`.
    """

    columns: dict[str, list[Any]]
    count: int
    has_next_page: bool
    end_cursor: tuple[int, int] | None
    last_modified_max: datetime.datetime | None
    job_type_ids: list[int] = field(default_factory=list)
    job_group_ids: list[int] = field(default_factory=list)
    platform_ids: list[int] = field(default_factory=list)
    option_hashes: list[str] = field(default_factory=list)


def duration_minutes(submit_ms: int | None, start_ms: int | None, end_ms: int | None, now_ms: int) -> int:
    """Treeherder's job duration in minutes: max(round(max(end - start, 60 s) / 60 s), 1).

    A missing start falls back to the submit time, a missing end to now.
    """
    start = start_ms if start_ms is not None else submit_ms
    if start is None:
        return 1
    end = end_ms if end_ms is not None else now_ms
    return max(round(max(end - start, 60_000) / 60_000), 1)


def _indexed(values: Iterable[Any]) -> tuple[list[int], list[Any]]:
    """Replace each value by the index of its first occurrence; return (indexes, distinct values)."""
    index: dict[Any, int] = {}
    out = [index.setdefault(v, len(index)) for v in values]
    return out, list(index)


def job_table(
    *,
    filters: JobFilter,
    columns: Iterable[str],
    first: int,
    after: tuple[int, int] | None = None,
    with_last_modified_max: bool = False,
) -> JobTable:
    """Up to `first` jobs as columns, ordered by (push id, job id), keyset-paged by that pair."""
    wanted = list(dict.fromkeys(columns))
    unknown = set(wanted) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown job table columns: {sorted(unknown)}")
    read: list[str] = ["push_id", "id"]
    if with_last_modified_max:
        read.append("last_modified")
    for name in wanted:
        for source in _DERIVED.get(name, (name,)):
            if source not in read:
                read.append(source)

    qs = Job.objects.filter(filters.q())
    if after is not None:
        qs = qs.filter(Q(push_id__gt=after[0]) | Q(push_id=after[0], id__gt=after[1]))
    rows = list(qs.order_by("push_id", "id").values_list(*(_SOURCES[name] for name in read))[: first + 1])
    has_next_page = len(rows) > first
    rows = rows[:first]

    raw: dict[str, list[Any]] = {name: [r[i] for r in rows] for i, name in enumerate(read)}
    table = JobTable(
        columns={},
        count=len(rows),
        has_next_page=has_next_page,
        end_cursor=(rows[-1][0], rows[-1][1]) if rows else None,
        last_modified_max=None,
    )
    for name in wanted:
        if name == "duration":
            now_ms = int(time.time() * 1000)
            table.columns[name] = [
                duration_minutes(s, b, e, now_ms)
                for s, b, e in zip(raw["submit_time"], raw["start_time"], raw["end_time"], strict=True)
            ]
        elif name in ("state", "result"):
            # GraphQL enum names, the same values the Job type's `state` and `result` return.
            table.columns[name] = [v.upper() for v in raw[name]]
        elif name == "job_type":
            table.columns[name], table.job_type_ids = _indexed(raw[name])
        elif name == "job_group":
            table.columns[name], table.job_group_ids = _indexed(raw[name])
        elif name == "platform":
            table.columns[name], table.platform_ids = _indexed(raw[name])
        elif name == "options":
            table.columns[name], table.option_hashes = _indexed(raw[name])
        else:
            table.columns[name] = raw[name]
    if with_last_modified_max and rows:
        # Floored to the millisecond: `lastModifiedAfter` this value returns a superset of the
        # changes since (a job of the same millisecond comes again), never fewer.
        newest = max(raw["last_modified"])
        table.last_modified_max = datetime.datetime.fromtimestamp(newest / 1000, tz=datetime.UTC)
    return table
