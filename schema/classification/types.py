"""Sheriff annotations: the failure classifications, classifications of jobs (notes), bug links and
investigated tests, with their audit fields (who and when; for deleted notes and unlinked bugs, who
deleted them and when)."""

from __future__ import annotations

import datetime

import strawberry

from apps.classification import models
from apps.jobs import models as jobs_models
from schema.failures.dataloaders import BugByIdLoader
from schema.failures.types import Bug
from schema.info import Info
from schema.jobs.dataloaders import FailureClassificationByIdLoader
from schema.loading import required


@strawberry.type(
    description="How a sheriff classified a failure. The ids 1-8 are fixed: 1 not classified, 2 fixed by "
    "commit, 3 expected fail, 4 intermittent, 5 infra, 6 new failure not classified, 7 autoclassified "
    "intermittent, 8 intermittent needs bugid."
)
class FailureClassification:
    database_id: int
    name: str

    @classmethod
    def from_model(cls, row: jobs_models.FailureClassification) -> FailureClassification:
        return cls(database_id=row.id, name=row.name)


@strawberry.type(description="A classification of a job by a sheriff (or the autoclassifier).")
class JobNote:
    database_id: int
    text: str
    who: str = strawberry.field(description='The sheriff\'s email, or "autoclassifier".')
    created: datetime.datetime
    deleted: bool = strawberry.field(description="Deleted: kept only in the job's noteHistory.")
    deleted_at: datetime.datetime | None
    deleted_by: str | None = strawberry.field(description="Who deleted it (their email).")
    job_id: strawberry.Private[int]
    failure_classification_id: strawberry.Private[int]

    @strawberry.field
    async def failure_classification(self, info: Info) -> FailureClassification:
        found = await FailureClassificationByIdLoader.of(info).load(self.failure_classification_id)
        return FailureClassification.from_model(required(found))

    @classmethod
    def from_model(cls, row: models.JobNote) -> JobNote:
        return cls(
            database_id=row.id,
            text=row.text,
            who=row.who,
            created=row.created,
            deleted=row.deleted_at is not None,
            deleted_at=row.deleted_at,
            deleted_by=_who(row, "deleted_by") if row.deleted_at is not None else None,
            job_id=row.job_id,
            failure_classification_id=row.failure_classification_id,
        )


@strawberry.type(description="A job linked to a bug.")
class BugLink:
    database_id: int
    who: str = strawberry.field(description='The sheriff\'s email, or "autoclassifier".')
    created: datetime.datetime
    bug_open: bool
    deleted: bool = strawberry.field(description="Unlinked: kept only in the job's bugLinkHistory.")
    deleted_at: datetime.datetime | None
    deleted_by: str | None = strawberry.field(description="Who unlinked it (their email).")
    bug_id: strawberry.Private[int]

    @strawberry.field
    async def bug(self, info: Info) -> Bug:
        return Bug.from_model(required(await BugByIdLoader.of(info).load(self.bug_id)))

    @classmethod
    def from_model(cls, row: models.BugJobMap) -> BugLink:
        return cls(
            database_id=row.id,
            who=row.who,
            created=row.created,
            bug_open=row.bug_open,
            deleted=row.deleted_at is not None,
            deleted_at=row.deleted_at,
            deleted_by=_who(row, "deleted_by") if row.deleted_at is not None else None,
            bug_id=row.bug_id,
        )


@strawberry.type(description="A failing test of a push that someone is investigating (Push Health's to-do list).")
class InvestigatedTest:
    database_id: int
    test: str
    job_type_name: str
    job_type_symbol: str
    who: str
    created: datetime.datetime

    @classmethod
    def from_model(cls, row: models.InvestigatedTest) -> InvestigatedTest:
        return cls(
            database_id=row.id,
            test=row.test,
            job_type_name=row.job_type.name,
            job_type_symbol=row.job_type.symbol,
            who=row.who,
            created=row.created,
        )


def _who(row: object, attribute: str) -> str:
    user = getattr(row, attribute)
    return str(user.email or user.get_username()) if user is not None else "(deleted user)"
