"""The job table: the job view's bulk job list as typed columns plus the reference data they use.

Why a table: served as objects, 20,000 jobs with 25 fields each take seconds to execute in any
graphql-core server (about 4.4 us per field). Here each column is one leaf value (a JSON array, see
`schema.scalars`), so execution costs one resolver per selected column, whatever the row count.
The client still picks its columns by selecting fields; unselected columns are not read from the
database. Reference data (job types, groups, platforms, options) is sent once in lists, and the
`jobType`, `jobGroup`, `platform` and `options` columns hold indexes into them.
"""

# No `from __future__ import annotations` here: the column resolvers are built in a loop and their
# return annotations must be real objects, not strings.

import datetime
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from apps.jobs.selectors import JobTable as JobTableData
from schema.info import Info
from schema.jobs.dataloaders import (
    JobGroupByIdLoader,
    JobTypeByIdLoader,
    OptionsByHashLoader,
    PlatformByIdLoader,
    SignatureByIdLoader,
)
from schema.jobs.types.reference import JobGroup, JobType, OptionCollection, Platform
from schema.limits import page_items, paged
from schema.pagination import PageInfo, encode_cursor
from schema.scalars import (
    IndexColumn,
    IntColumn,
    JobResultColumn,
    JobStateColumn,
    NullableIntColumn,
    NullableStringColumn,
    StringColumn,
    TimestampColumn,
)

JOB_TABLE_CURSOR = "jobtable"
JOB_TABLE_PAGE = paged("jobTable rows", default=20_000, maximum=50_000)
# A column is one list value: it costs 1 per 100 rows in the query cost (schema.limits).
COLUMN_COST_WEIGHT = 0.01

# GraphQL field name -> (selector column, scalar, description).
COLUMNS: dict[str, tuple[str, Any, str]] = {
    "id": ("id", IntColumn, "The job's databaseId."),
    "pushId": ("push_id", IntColumn, "The databaseId of the job's push."),
    "guid": ("guid", StringColumn, "<taskId as a dashed UUID>/<runId>."),
    "taskId": ("task_id", NullableStringColumn, "The Taskcluster taskId."),
    "retryId": ("retry_id", NullableIntColumn, "The Taskcluster runId."),
    "state": ("state", JobStateColumn, "The job's state."),
    "result": ("result", JobResultColumn, "The job's result."),
    "tier": ("tier", IntColumn, "1-3."),
    "failureClassificationId": (
        "failure_classification_id",
        IntColumn,
        "The FailureClassification databaseId (fixed ids 1-8).",
    ),
    "jobType": ("job_type", IndexColumn, "Index into `jobTypes`."),
    "jobGroup": ("job_group", IndexColumn, "Index into `jobGroups`."),
    "platform": ("platform", IndexColumn, "Index into `platforms` (the machine platform)."),
    "options": ("options", IndexColumn, "Index into `optionCollections`."),
    "signature": ("signature", IndexColumn, "Index into `signatures`."),
    "who": ("who", StringColumn, "The task owner."),
    "reason": ("reason", StringColumn, "Why the job ran."),
    "submitTime": ("submit_time", TimestampColumn, "When the job was submitted."),
    "startTime": ("start_time", TimestampColumn, "When the job started."),
    "endTime": ("end_time", TimestampColumn, "When the job ended."),
    "lastModified": ("last_modified", TimestampColumn, "When the job last changed (milliseconds)."),
    "duration": ("duration", IntColumn, "Minutes, as the Job type's `duration`."),
}


def table_cursor(push_id: int, job_id: int) -> str:
    return encode_cursor(JOB_TABLE_CURSOR, push_id, job_id)


def selected_columns(names: set[str]) -> list[str]:
    """Selector column names for the GraphQL fields selected, in the table's column order."""
    return [source for field, (source, _, _) in COLUMNS.items() if field in names]


def _column_field(field: str) -> StrawberryField:
    source, scalar, description = COLUMNS[field]

    def resolve(self: Any) -> scalar:  # type: ignore[valid-type]
        return self.data.columns[source]

    return strawberry.field(resolver=resolve, description=description, metadata=page_items(weight=COLUMN_COST_WEIGHT))


@strawberry.type(
    description="Jobs as columns: each selected column field is a JSON array with one value per job, all in the "
    "same (push, job id) order. Select only the columns you need; unselected ones are never read."
)
class JobTable:
    data: strawberry.Private[JobTableData]

    @strawberry.field(description="The number of rows (jobs) in this page of the table.")
    def count(self) -> int:
        return self.data.count

    @strawberry.field(description="Pass endCursor as `after` for the next rows.")
    def page_info(self) -> PageInfo:
        end = self.data.end_cursor
        return PageInfo(
            has_next_page=self.data.has_next_page,
            has_previous_page=False,
            start_cursor=None,
            end_cursor=table_cursor(*end) if end else None,
        )

    @strawberry.field(
        description="The newest lastModified of these rows, floored to the millisecond: pass it as "
        "`lastModifiedAfter` to fetch what changed since (a superset; merge rows by id)."
    )
    def last_modified_max(self) -> datetime.datetime | None:
        return self.data.last_modified_max

    @strawberry.field(description="The job types the `jobType` column indexes into.")
    async def job_types(self, info: Info) -> list[JobType]:
        found = await JobTypeByIdLoader.of(info).load_many(self.data.job_type_ids)
        return [JobType.from_model(row) for row in found if row is not None]

    @strawberry.field(description="The job groups the `jobGroup` column indexes into.")
    async def job_groups(self, info: Info) -> list[JobGroup]:
        found = await JobGroupByIdLoader.of(info).load_many(self.data.job_group_ids)
        return [JobGroup.from_model(row) for row in found if row is not None]

    @strawberry.field(description="The machine platforms the `platform` column indexes into.")
    async def platforms(self, info: Info) -> list[Platform]:
        found = await PlatformByIdLoader.of(info).load_many(self.data.platform_ids)
        return [Platform.from_model(row) for row in found if row is not None]

    @strawberry.field(description="The reference-data signature hashes the `signature` column indexes into.")
    async def signatures(self, info: Info) -> list[str]:
        found = await SignatureByIdLoader.of(info).load_many(self.data.signature_ids)
        return [row.signature for row in found if row is not None]

    @strawberry.field(description="The option collections the `options` column indexes into.")
    async def option_collections(self, info: Info) -> list[OptionCollection]:
        labels = await OptionsByHashLoader.of(info).load_many(self.data.option_hashes)
        return [OptionCollection(hash=h, options=o) for h, o in zip(self.data.option_hashes, labels, strict=True)]

    # The columns. Each reads its list from the selector's result; see COLUMNS for the sources.
    id = _column_field("id")
    push_id = _column_field("pushId")
    guid = _column_field("guid")
    task_id = _column_field("taskId")
    retry_id = _column_field("retryId")
    state = _column_field("state")
    result = _column_field("result")
    tier = _column_field("tier")
    failure_classification_id = _column_field("failureClassificationId")
    job_type = _column_field("jobType")
    job_group = _column_field("jobGroup")
    platform = _column_field("platform")
    options = _column_field("options")
    signature = _column_field("signature")
    who = _column_field("who")
    reason = _column_field("reason")
    submit_time = _column_field("submitTime")
    start_time = _column_field("startTime")
    end_time = _column_field("endTime")
    last_modified = _column_field("lastModified")
    duration = _column_field("duration")
