"""The Job type (one Taskcluster task run), its logs, and the job connection."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from apps.jobs import models
from apps.jobs.selectors import duration_minutes
from schema.classification.types import BugLink, JobNote
from schema.failures.types import FailureLine, TextLogError
from schema.ids import node_database_ids
from schema.info import Info
from schema.jobs.types.reference import (
    FailureClassification,
    JobGroup,
    JobResult,
    JobState,
    JobType,
    Machine,
    Platform,
)
from schema.limits import bounded, page_items, paged
from schema.pagination import PageInfo, encode_cursor
from schema.repositories.types import Repository

if TYPE_CHECKING:
    from schema.pushes.types import Push

JOB_CURSOR = "job"
JOBS_PAGE = paged("jobs", default=100, maximum=2000)
# Treeherder's limits, used as the cost of these unpaginated lists.
MAX_LOGS_PER_JOB = 10
MAX_ERROR_LINES_PER_JOB = 40
MAX_FAILURE_LINES_PER_JOB = 150
MAX_NOTES_PER_JOB = 20
MAX_BUG_LINKS_PER_JOB = 20
MAX_HISTORY_PER_JOB = 100


@strawberry.enum(description="Whether a log was parsed for errors.")
class JobLogParseStatus(Enum):
    PENDING = 0
    PARSED = 1
    FAILED = 2
    SKIPPED_SIZE = 3


@strawberry.type(description="A log or artifact of a job: live_backing_log, errorsummary_json, perfherder-data-*.")
class JobLog:
    database_id: int
    name: str
    url: str
    parse_status: JobLogParseStatus

    @classmethod
    def from_model(cls, row: models.JobLog) -> JobLog:
        return cls(database_id=row.id, name=row.name, url=row.url, parse_status=JobLogParseStatus(row.status))


@strawberry.type(description="One run of a Taskcluster task: a cell of the job view's grid.")
class Job(relay.Node):
    pk: relay.NodeID[int]
    database_id: int = strawberry.field(description="The numeric id Treeherder URLs carry (selectedJob=...).")
    guid: str = strawberry.field(description="<taskId as a dashed UUID>/<runId>.")
    task_id: str | None = strawberry.field(description="The Taskcluster taskId (slug).")
    retry_id: int | None = strawberry.field(description="The Taskcluster runId.")
    state: JobState
    result: JobResult
    tier: int = strawberry.field(description="1-3; tier 3 is hidden by default and not counted in push status.")
    who: str
    reason: str
    submit_time: datetime.datetime | None
    start_time: datetime.datetime | None
    end_time: datetime.datetime | None
    last_modified: datetime.datetime = strawberry.field(description="Bumped by every change: a polling cursor.")
    option_collection_hash: str

    push_id: strawberry.Private[int]
    repository_id: strawberry.Private[int]
    job_type_id: strawberry.Private[int]
    job_group_id: strawberry.Private[int]
    machine_platform_id: strawberry.Private[int]
    build_platform_id: strawberry.Private[int]
    machine_id: strawberry.Private[int]
    signature_id: strawberry.Private[int]
    failure_classification_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.Job) -> Job:
        # The one-to-one Taskcluster row is joined by the selectors; a job without one has no ids.
        metadata = getattr(row, "taskcluster_metadata", None)
        return cls(
            pk=row.id,
            database_id=row.id,
            guid=row.guid,
            task_id=metadata.task_id if metadata else None,
            retry_id=metadata.retry_id if metadata else None,
            state=JobState(row.state),
            result=JobResult(row.result),
            tier=row.tier,
            who=row.who,
            reason=row.reason,
            submit_time=row.submit_time,
            start_time=row.start_time,
            end_time=row.end_time,
            last_modified=row.last_modified,
            option_collection_hash=row.option_collection_hash,
            push_id=row.push_id,
            repository_id=row.repository_id,
            job_type_id=row.job_type_id,
            job_group_id=row.job_group_id,
            machine_platform_id=row.machine_platform_id,
            build_platform_id=row.build_platform_id,
            machine_id=row.machine_id,
            signature_id=row.signature_id,
            failure_classification_id=row.failure_classification_id or models.FailureClassification.NOT_CLASSIFIED,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False, **kwargs: Any
    ) -> list[Job | None]:
        return await info.context.loaders.job_by_id.load_many(node_database_ids(node_ids, "Job"))

    @strawberry.field(description="Minutes, as Treeherder computes it: at least 1; running jobs count up to now.")
    def duration(self) -> int:
        return duration_minutes(self.submit_time, self.start_time, self.end_time)

    @strawberry.field
    async def job_type(self, info: Info) -> JobType:
        return _required(await info.context.loaders.job_type_by_id.load(self.job_type_id))

    @strawberry.field
    async def job_group(self, info: Info) -> JobGroup:
        return _required(await info.context.loaders.job_group_by_id.load(self.job_group_id))

    @strawberry.field(description="The machine platform: the platform row the job view shows.")
    async def platform(self, info: Info) -> Platform:
        return _required(await info.context.loaders.platform_by_id.load(self.machine_platform_id))

    @strawberry.field
    async def build_platform(self, info: Info) -> Platform:
        return _required(await info.context.loaders.build_platform_by_id.load(self.build_platform_id))

    @strawberry.field(description='The option labels, sorted, e.g. ["debug"] or ["asan", "opt"].')
    async def options(self, info: Info) -> list[str]:
        return await info.context.loaders.options_by_hash.load(self.option_collection_hash)

    @strawberry.field
    async def machine(self, info: Info) -> Machine:
        return _required(await info.context.loaders.machine_by_id.load(self.machine_id))

    @strawberry.field(
        description="The reference-data signature: the same job, platform and options in this repository."
    )
    async def signature(self, info: Info) -> str:
        return _required(await info.context.loaders.signature_by_id.load(self.signature_id))

    @strawberry.field
    async def failure_classification(self, info: Info) -> FailureClassification:
        found = await info.context.loaders.failure_classification_by_id.load(self.failure_classification_id)
        return _required(found)

    @strawberry.field(metadata=bounded(MAX_LOGS_PER_JOB))
    async def logs(self, info: Info) -> list[JobLog]:
        return await info.context.loaders.logs_by_job_id.load(self.database_id)

    @strawberry.field(
        description="Error lines parsed from the raw log, in log order.", metadata=bounded(MAX_ERROR_LINES_PER_JOB)
    )
    async def text_log_errors(self, info: Info) -> list[TextLogError]:
        return await info.context.loaders.text_log_errors_by_job_id.load(self.database_id)

    @strawberry.field(
        description="Structured failure lines from the error summary.", metadata=bounded(MAX_FAILURE_LINES_PER_JOB)
    )
    async def failure_lines(self, info: Info) -> list[FailureLine]:
        return await info.context.loaders.failure_lines_by_job_guid.load(self.guid)

    @strawberry.field(description="Classifications, newest first.", metadata=bounded(MAX_NOTES_PER_JOB))
    async def notes(self, info: Info) -> list[JobNote]:
        return await info.context.loaders.notes_by_job_id.load(self.database_id)

    @strawberry.field(metadata=bounded(MAX_BUG_LINKS_PER_JOB))
    async def bug_links(self, info: Info) -> list[BugLink]:
        return await info.context.loaders.bug_links_by_job_id.load(self.database_id)

    @strawberry.field(
        description="The audit trail: every classification, deleted ones too (marked), newest first.",
        metadata=bounded(MAX_HISTORY_PER_JOB),
    )
    async def note_history(self, info: Info) -> list[JobNote]:
        found = await info.context.loaders.note_history_by_job_id.load(self.database_id)
        return found[:MAX_HISTORY_PER_JOB]

    @strawberry.field(
        description="The audit trail: every bug link, unlinked ones too (marked), newest first.",
        metadata=bounded(MAX_HISTORY_PER_JOB),
    )
    async def bug_link_history(self, info: Info) -> list[BugLink]:
        found = await info.context.loaders.bug_link_history_by_job_id.load(self.database_id)
        return found[:MAX_HISTORY_PER_JOB]

    @strawberry.field
    async def push(self, info: Info) -> Annotated[Push, strawberry.lazy("schema.pushes.types")]:
        return _required(await info.context.loaders.push_by_id.load(self.push_id))

    @strawberry.field
    async def repository(self, info: Info) -> Repository:
        found = await info.context.loaders.repository_by_id.load(self.repository_id)
        return Repository.from_model(_required(found))


def _required(value: Any) -> Any:
    # Foreign keys are PROTECT/CASCADE: a missing row is a broken database, not a client error.
    if value is None:
        raise LookupError("a referenced row is missing")
    return value


@strawberry.type
class JobEdge:
    cursor: str
    node: Job


@strawberry.type(description="A page of jobs in id order (keyset pagination: pass endCursor as `after`).")
class JobConnection:
    page_info: PageInfo
    jobs: strawberry.Private[list[Job]]

    @strawberry.field(metadata=page_items())
    def edges(self) -> list[JobEdge]:
        return [JobEdge(cursor=job_cursor(job.database_id), node=job) for job in self.jobs]

    @strawberry.field(metadata=page_items(), description="The jobs of the page, without edges.")
    def nodes(self) -> list[Job]:
        return self.jobs


def job_cursor(job_id: int) -> str:
    return encode_cursor(JOB_CURSOR, job_id)
