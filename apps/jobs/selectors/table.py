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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
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
        # Exact: whole seconds from strftime, milliseconds cut from the stored text
        # ("YYYY-MM-DD HH:MM:SS.ffffff"); julianday() arithmetic is a float and can be 1 ms off.
        # "%%%%s" becomes "%%s" here and "%s" in SQLite (Django turns "%%" into "%").
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) * 1000"
                " + CAST(substr(%(expressions)s, 21, 3) AS INTEGER))"
            ),
            **extra,
        )


class ElapsedSeconds(Func):
    """Whole seconds from the job's start (or submit) time to its end (or now); NULL with neither."""

    output_field = IntegerField()

    def as_mysql(self, compiler: SQLCompiler, connection: Any, **extra: Any) -> tuple[str, Sequence[Any]]:
        return self.as_sql(
            compiler,
            connection,
            template=(
                "TIMESTAMPDIFF(SECOND, COALESCE(`job`.`start_time`, `job`.`submit_time`), "
                "COALESCE(`job`.`end_time`, UTC_TIMESTAMP(6)))"
            ),
            **extra,
        )

    def as_sqlite(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, Sequence[Any]]:
        return self.as_sql(
            compiler,
            connection,
            template=(
                # Rounded to milliseconds first: julianday() is a float.
                'CAST(ROUND((julianday(COALESCE("job"."end_time", \'now\')) - '
                'julianday(COALESCE("job"."start_time", "job"."submit_time"))) * 86400000) / 1000 AS INTEGER)'
            ),
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
    # The id, not the hash: joining reference_data_signatures makes MariaDB drive the query from that
    # table (temporary table and filesort), three times slower for 20,000 jobs.
    "signature": F("signature_id"),
    "who": F("who"),
    "reason": F("reason"),
    **{name: EpochMillis(name) for name in _TIME_COLUMNS},
    # Seconds in SQL (one value instead of three times); rounded to minutes in Python, with
    # Python's rounding, as Treeherder does.
    "duration": ElapsedSeconds(),
}
# The job(push, id) index (apps/jobs/models/job.py).
PUSH_ID_INDEX = "job_push_id_idx"
COLUMNS: tuple[str, ...] = tuple(_SOURCES)


@dataclass
class JobTable:
    """Selected columns (name -> values, one per job, in (push, id) order) plus reference lists.

    `job_type_ids`, `job_group_ids`, `platform_ids` and `option_hashes` list the distinct rows in
    index order: the `job_type` column's value 3 means `job_type_ids[3]`; likewise `signature_ids`.
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
    signature_ids: list[int] = field(default_factory=list)


def duration_minutes(
    submit: datetime.datetime | None, start: datetime.datetime | None, end: datetime.datetime | None
) -> int:
    """Treeherder's job duration in minutes: max(round(max(end - start, 60 s) / 60 s), 1).

    A missing start falls back to the submit time, a missing end to now. Whole seconds, cut as
    the job table's SQL (TIMESTAMPDIFF) cuts them, so both give the same minutes.
    """
    begin = start or submit
    if begin is None:
        return 1
    elapsed = int(((end or datetime.datetime.now(tz=datetime.UTC)) - begin).total_seconds())
    return minutes_from_seconds(elapsed)


def minutes_from_seconds(elapsed: int | None) -> int:
    return 1 if elapsed is None else max(round(max(elapsed, 60) / 60), 1)


def _indexed(values: list[Any]) -> tuple[list[int], list[Any]]:
    """Replace each value by the index of its first occurrence; return (indexes, distinct values)."""
    # dict.fromkeys and map(dict.__getitem__) run in C: about ten times faster than a Python loop.
    distinct = list(dict.fromkeys(values))
    position = {value: i for i, value in enumerate(distinct)}
    return list(map(position.__getitem__, values)), distinct


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
    read += [name for name in wanted if name not in read]

    qs = Job.objects.filter(filters.q())
    if after is not None:
        qs = qs.filter(Q(push_id__gt=after[0]) | Q(push_id=after[0], id__gt=after[1]))
    qs = qs.order_by("push_id", "id").values_list(*(_SOURCES[name] for name in read))[: first + 1]
    # Executed on a plain cursor: every column is an int or a string that needs no conversion, and
    # Django's row iterator costs as much again as the query for 20,000 rows.
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # e.g. no pushes: Django knows without asking the database
        rows: list[tuple[Any, ...]] | tuple[tuple[Any, ...], ...] = []
    else:
        connection = connections[qs.db]
        if connection.vendor == "mysql" and filters.push_ids is not None:
            # Rows come in (push, id) order straight from this index. When the pushes hold a large
            # share of the table (the benchmark: 10 of 50 pushes), MariaDB prefers a full scan
            # plus a filesort, about twice as slow; Django has no API for index hints.
            sql = sql.replace("FROM `job` ", f"FROM `job` FORCE INDEX (`{PUSH_ID_INDEX}`) ", 1)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    has_next_page = len(rows) > first
    rows = rows[:first]

    # One list per column, transposed in C.
    transposed = list(zip(*rows, strict=True)) if rows else [() for _ in read]
    raw: dict[str, list[Any]] = {name: list(transposed[i]) for i, name in enumerate(read)}
    table = JobTable(
        columns={},
        count=len(rows),
        has_next_page=has_next_page,
        end_cursor=(rows[-1][0], rows[-1][1]) if rows else None,
        last_modified_max=None,
    )
    for name in wanted:
        if name == "duration":
            table.columns[name] = [minutes_from_seconds(v) for v in raw[name]]
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
        elif name == "signature":
            table.columns[name], table.signature_ids = _indexed(raw[name])
        else:
            table.columns[name] = raw[name]
    if with_last_modified_max and rows:
        # Floored to the millisecond: `lastModifiedAfter` this value returns a superset of the
        # changes since (a job of the same millisecond comes again), never fewer.
        newest = max(raw["last_modified"])
        table.last_modified_max = datetime.datetime.fromtimestamp(newest / 1000, tz=datetime.UTC)
    return table
