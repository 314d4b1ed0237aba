"""Reference data types: job types and groups, platforms, machines, options, classifications."""

from __future__ import annotations

from enum import Enum

import strawberry

from apps.jobs import models


@strawberry.enum(description="Where a job is in its life. States only move forward.")
class JobState(Enum):
    UNSCHEDULED = "unscheduled"
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"


@strawberry.enum(description="How a job ended. UNKNOWN until it is completed.")
class JobResult(Enum):
    UNKNOWN = "unknown"
    SUCCESS = "success"
    TESTFAILED = "testfailed"
    BUSTED = "busted"
    EXCEPTION = "exception"
    RETRY = "retry"
    USERCANCEL = "usercancel"
    SUPERSEDED = "superseded"


@strawberry.type(description="What a job runs (the Taskcluster task label) and its symbol in the grid.")
class JobType:
    database_id: int
    name: str
    symbol: str
    description: str

    @classmethod
    def from_model(cls, row: models.JobType) -> JobType:
        return cls(database_id=row.id, name=row.name, symbol=row.symbol, description=row.description)


@strawberry.type(description="The group a job's symbol is shown in, e.g. Mochitests (M).")
class JobGroup:
    database_id: int
    name: str
    symbol: str
    description: str

    @classmethod
    def from_model(cls, row: models.JobGroup) -> JobGroup:
        return cls(database_id=row.id, name=row.name, symbol=row.symbol, description=row.description)


@strawberry.type(description="An operating system, platform name and architecture, e.g. linux64 on x86_64.")
class Platform:
    database_id: int
    os_name: str
    platform: str
    architecture: str

    @classmethod
    def from_model(cls, row: models.MachinePlatform | models.BuildPlatform) -> Platform:
        return cls(database_id=row.id, os_name=row.os_name, platform=row.platform, architecture=row.architecture)


@strawberry.type(description="A worker a job ran on (the Taskcluster workerId).")
class Machine:
    database_id: int
    name: str

    @classmethod
    def from_model(cls, row: models.Machine) -> Machine:
        return cls(database_id=row.id, name=row.name)


@strawberry.type(description="A set of build options, e.g. [debug] or [asan, opt], and its hash.")
class OptionCollection:
    hash: str = strawberry.field(description="SHA-1 of the sorted option names, concatenated.")
    options: list[str] = strawberry.field(description="The option names, sorted.")


@strawberry.type(
    description="How a sheriff classified a failure. The ids 1-8 are fixed: 1 not classified, 2 fixed by "
    "commit, 3 expected fail, 4 intermittent, 5 infra, 6 new failure not classified, 7 autoclassified "
    "intermittent, 8 intermittent needs bugid."
)
class FailureClassification:
    database_id: int
    name: str

    @classmethod
    def from_model(cls, row: models.FailureClassification) -> FailureClassification:
        return cls(database_id=row.id, name=row.name)
