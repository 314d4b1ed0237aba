"""TEMPORARY stand-ins for the Job and Push types and loaders that the read-API work provides.

Replaced by schema.jobs.types.Job / schema.pushes.types.Push and the context's job_by_id /
push_by_id loaders when that work lands.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from enum import Enum

import strawberry
from asgiref.sync import sync_to_async
from strawberry.dataloader import DataLoader

from apps.jobs.models import Job as JobModel
from apps.pushes.models import Push as PushModel


@strawberry.enum
class JobState(Enum):
    UNSCHEDULED = "unscheduled"
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"


@strawberry.enum
class JobResult(Enum):
    UNKNOWN = "unknown"
    SUCCESS = "success"
    TESTFAILED = "testfailed"
    BUSTED = "busted"
    EXCEPTION = "exception"
    RETRY = "retry"
    USERCANCEL = "usercancel"
    SUPERSEDED = "superseded"


@strawberry.type
class Job:
    database_id: int
    guid: str
    state: JobState
    result: JobResult
    tier: int
    push_id: int
    failure_classification_id: int
    last_modified: datetime.datetime


@strawberry.type
class Push:
    database_id: int
    revision: str
    author: str
    job_count: int


def _jobs(ids: Sequence[int]) -> list[Job | None]:
    found = JobModel.objects.in_bulk(list(ids))
    return [
        Job(
            database_id=j.id,
            guid=j.guid,
            state=JobState(j.state),
            result=JobResult(j.result),
            tier=j.tier,
            push_id=j.push_id,
            failure_classification_id=j.failure_classification_id or 1,
            last_modified=j.last_modified,
        )
        if (j := found.get(i))
        else None
        for i in ids
    ]


def _pushes(ids: Sequence[int]) -> list[Push | None]:
    found = PushModel.objects.in_bulk(list(ids))
    return [
        Push(database_id=p.id, revision=p.revision, author=p.author, job_count=p.jobs.count())
        if (p := found.get(i))
        else None
        for i in ids
    ]


class JobByIdLoader(DataLoader[int, Job | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(ids: Sequence[int]) -> list[Job | None]:
        return await sync_to_async(_jobs)(ids)


class PushByIdLoader(DataLoader[int, Push | None]):
    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

    @staticmethod
    async def _load(ids: Sequence[int]) -> list[Push | None]:
        return await sync_to_async(_pushes)(ids)
