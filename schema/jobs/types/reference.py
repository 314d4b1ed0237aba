"""Reference data types: job types and groups, platforms, machines, options, classifications."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

import strawberry
from django.db.models import TextChoices

from apps.jobs import models


def _enum_of(choices: type[TextChoices], name: str, description: str) -> Any:
    """A GraphQL enum with the members (names and values) of a model's TextChoices: one list, no drift."""
    make_enum: Any = Enum  # the functional API: mypy only follows it with literal arguments
    enum_class = make_enum(name, [(member.name, member.value) for member in choices])
    return strawberry.enum(enum_class, description=description)


if TYPE_CHECKING:
    # The type checker sees the model's choices, which have the same members and values.
    JobState = models.Job.State
    JobResult = models.Job.Result
else:
    JobState = _enum_of(models.Job.State, "JobState", "Where a job is in its life. States only move forward.")
    JobResult = _enum_of(models.Job.Result, "JobResult", "How a job ended. UNKNOWN until it is completed.")


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
