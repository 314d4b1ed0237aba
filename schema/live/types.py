"""GraphQL types of live events. Every event carries a `cursor`; pass it back as `after:` to resume."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from schema.failures.health import PushHealth
from schema.jobs.dataloaders import JobByIdLoader
from schema.jobs.types import Job, JobResult, JobState
from schema.live.context import LiveContext
from schema.pushes.dataloaders import PushByIdLoader
from schema.pushes.types import Push

LiveInfo = Info[LiveContext, None]


@strawberry.input(description="Server-side filters on job events. Every list given must contain the job's value.")
class JobEventFilter:
    results: list[JobResult] | None = None
    states: list[JobState] | None = None
    tiers: list[int] | None = None
    platforms: list[str] | None = strawberry.field(default=None, description="Machine platforms, e.g. linux64.")
    symbols: list[str] | None = strawberry.field(default=None, description="Job type or job group symbols.")


@strawberry.enum(description="Why a jobFailures event was sent.")
class JobFailureKind(Enum):
    COMPLETED = "completed"
    ERRORS_READY = "errors_ready"
    CLASSIFIED = "classified"


@strawberry.type(description="A job was created or changed.")
class JobChangedEvent:
    cursor: str = strawberry.field(description="Pass back as `after:` to resume after this event.")
    changed: list[str] = strawberry.field(
        description='What changed: "created", "state", "result", "tier", "failure_classification", ...'
    )
    job_id: strawberry.Private[int]

    @strawberry.field(description="The job as it is now (null if it no longer exists).")
    async def job(self, info: LiveInfo) -> Job | None:
        row = await JobByIdLoader.of(info).load(self.job_id)
        return Job.from_model(row) if row is not None else None


@strawberry.type(description="A failed job completed, its error lines were parsed, or it was classified.")
class JobFailureEvent:
    cursor: str
    kind: JobFailureKind
    job_id: strawberry.Private[int]

    @strawberry.field(description="The job as it is now (null if it no longer exists).")
    async def job(self, info: LiveInfo) -> Job | None:
        row = await JobByIdLoader.of(info).load(self.job_id)
        return Job.from_model(row) if row is not None else None


@strawberry.type(description="A push was created, or its jobs changed its status counts (coalesced).")
class PushChangedEvent:
    cursor: str
    push_id: strawberry.Private[int]

    @strawberry.field(description="The push as it is now (null if it no longer exists).")
    async def push(self, info: LiveInfo) -> Push | None:
        row = await PushByIdLoader.of(info).load(self.push_id)
        return Push.from_model(row) if row is not None else None


@strawberry.type(description="A push's jobs changed: its health as it is now (coalesced like pushChanged).")
class PushHealthChangedEvent:
    cursor: str
    revision: str
    push_id: strawberry.Private[int]

    @strawberry.field
    def push_health(self) -> PushHealth:
        return PushHealth(revision=self.revision, push_id=self.push_id)
