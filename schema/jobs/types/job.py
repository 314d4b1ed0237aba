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
from schema.classification.dataloaders import (
    BugLinkHistoryByJobIdLoader,
    BugLinksByJobIdLoader,
    NoteHistoryByJobIdLoader,
    NotesByJobIdLoader,
)
from schema.classification.types import BugLink, FailureClassification, JobNote
from schema.failures.dataloaders import FailureLinesByJobGuidLoader, TextLogErrorsByJobIdLoader
from schema.failures.types import FailureLine, TextLogError
from schema.ids import node_database_ids
from schema.info import Info
from schema.jobs.dataloaders import (
    BuildPlatformByIdLoader,
    FailureClassificationByIdLoader,
    JobByIdLoader,
    JobGroupByIdLoader,
    JobLogsByJobIdLoader,
    JobTypeByIdLoader,
    MachineByIdLoader,
    OptionsByHashLoader,
    PlatformByIdLoader,
    SignatureByIdLoader,
)
from schema.jobs.types.reference import (
    JobGroup,
    JobResult,
    JobState,
    JobType,
    Machine,
    Platform,
)
from schema.limits import bounded, page_items, paged
from schema.loading import required
from schema.pagination import PageInfo, encode_cursor
from schema.pushes.dataloaders import PushByIdLoader
from schema.repositories.dataloaders import RepositoryByIdLoader
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
        """From a row of `apps.jobs.selectors` (jobs_by_ids and the job lists)."""
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
        rows = await JobByIdLoader.of(info).load_many(node_database_ids(node_ids, "Job"))
        return [cls.from_model(row) if row is not None else None for row in rows]

    @strawberry.field(description="Minutes, as Treeherder computes it: at least 1; running jobs count up to now.")
    def duration(self) -> int:
        return duration_minutes(self.submit_time, self.start_time, self.end_time)

    @strawberry.field
    async def job_type(self, info: Info) -> JobType:
        return JobType.from_model(required(await JobTypeByIdLoader.of(info).load(self.job_type_id)))

    @strawberry.field
    async def job_group(self, info: Info) -> JobGroup:
        return JobGroup.from_model(required(await JobGroupByIdLoader.of(info).load(self.job_group_id)))

    @strawberry.field(description="The machine platform: the platform row the job view shows.")
    async def platform(self, info: Info) -> Platform:
        return Platform.from_model(required(await PlatformByIdLoader.of(info).load(self.machine_platform_id)))

    @strawberry.field
    async def build_platform(self, info: Info) -> Platform:
        return Platform.from_model(required(await BuildPlatformByIdLoader.of(info).load(self.build_platform_id)))

    @strawberry.field(description='The option labels, sorted, e.g. ["debug"] or ["asan", "opt"].')
    async def options(self, info: Info) -> list[str]:
        return await OptionsByHashLoader.of(info).load(self.option_collection_hash)

    @strawberry.field
    async def machine(self, info: Info) -> Machine:
        return Machine.from_model(required(await MachineByIdLoader.of(info).load(self.machine_id)))

    @strawberry.field(
        description="The reference-data signature: the same job, platform and options in this repository."
    )
    async def signature(self, info: Info) -> str:
        return required(await SignatureByIdLoader.of(info).load(self.signature_id)).signature

    @strawberry.field
    async def failure_classification(self, info: Info) -> FailureClassification:
        found = await FailureClassificationByIdLoader.of(info).load(self.failure_classification_id)
        return FailureClassification.from_model(required(found))

    @strawberry.field(metadata=bounded(MAX_LOGS_PER_JOB))
    async def logs(self, info: Info) -> list[JobLog]:
        return [JobLog.from_model(row) for row in await JobLogsByJobIdLoader.of(info).load(self.database_id)]

    @strawberry.field(
        description="Error lines parsed from the raw log, in log order.", metadata=bounded(MAX_ERROR_LINES_PER_JOB)
    )
    async def text_log_errors(self, info: Info) -> list[TextLogError]:
        rows = await TextLogErrorsByJobIdLoader.of(info).load(self.database_id)
        return [TextLogError.from_model(row) for row in rows]

    @strawberry.field(
        description="Structured failure lines from the error summary.", metadata=bounded(MAX_FAILURE_LINES_PER_JOB)
    )
    async def failure_lines(self, info: Info) -> list[FailureLine]:
        return [FailureLine.from_model(row) for row in await FailureLinesByJobGuidLoader.of(info).load(self.guid)]

    @strawberry.field(description="Classifications, newest first.", metadata=bounded(MAX_NOTES_PER_JOB))
    async def notes(self, info: Info) -> list[JobNote]:
        return [JobNote.from_model(row) for row in await NotesByJobIdLoader.of(info).load(self.database_id)]

    @strawberry.field(metadata=bounded(MAX_BUG_LINKS_PER_JOB))
    async def bug_links(self, info: Info) -> list[BugLink]:
        return [BugLink.from_model(row) for row in await BugLinksByJobIdLoader.of(info).load(self.database_id)]

    @strawberry.field(
        description="The audit trail: every classification, deleted ones too (marked), newest first.",
        metadata=bounded(MAX_HISTORY_PER_JOB),
    )
    async def note_history(self, info: Info) -> list[JobNote]:
        rows = await NoteHistoryByJobIdLoader.of(info).load(self.database_id)
        return [JobNote.from_model(row) for row in rows[:MAX_HISTORY_PER_JOB]]

    @strawberry.field(
        description="The audit trail: every bug link, unlinked ones too (marked), newest first.",
        metadata=bounded(MAX_HISTORY_PER_JOB),
    )
    async def bug_link_history(self, info: Info) -> list[BugLink]:
        rows = await BugLinkHistoryByJobIdLoader.of(info).load(self.database_id)
        return [BugLink.from_model(row) for row in rows[:MAX_HISTORY_PER_JOB]]

    @strawberry.field
    async def push(self, info: Info) -> Annotated[Push, strawberry.lazy("schema.pushes.types")]:
        # The data graph's one loop (Job.push <-> Push.jobs): the Push type is imported when first used.
        from schema.pushes.types import Push

        return Push.from_model(required(await PushByIdLoader.of(info).load(self.push_id)))

    @strawberry.field
    async def repository(self, info: Info) -> Repository:
        return Repository.from_model(required(await RepositoryByIdLoader.of(info).load(self.repository_id)))


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
