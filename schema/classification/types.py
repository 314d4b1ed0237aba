"""Sheriff annotations: classifications (notes) and bug links."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from apps.classification import models
from schema.failures.types import Bug
from schema.info import Info

if TYPE_CHECKING:
    # Lazy at run time: schema.jobs.types imports this module.
    from schema.jobs.types.reference import FailureClassification


@strawberry.type(description="A classification of a job by a sheriff (or the autoclassifier).")
class JobNote:
    database_id: int
    text: str
    who: str = strawberry.field(description='The sheriff\'s email, or "autoclassifier".')
    created: datetime.datetime
    failure_classification_id: strawberry.Private[int]

    @strawberry.field
    async def failure_classification(
        self, info: Info
    ) -> Annotated[FailureClassification, strawberry.lazy("schema.jobs.types.reference")]:
        found = await info.context.loaders.failure_classification_by_id.load(self.failure_classification_id)
        assert found is not None, "failure_classification is a protected foreign key"
        return found

    @classmethod
    def from_model(cls, row: models.JobNote) -> JobNote:
        return cls(
            database_id=row.id,
            text=row.text,
            who=row.who,
            created=row.created,
            failure_classification_id=row.failure_classification_id,
        )


@strawberry.type(description="A job linked to a bug.")
class BugLink:
    database_id: int
    who: str = strawberry.field(description='The sheriff\'s email, or "autoclassifier".')
    created: datetime.datetime
    bug_open: bool
    bug_id: strawberry.Private[int]

    @strawberry.field
    async def bug(self, info: Info) -> Bug:
        found = await info.context.loaders.bug_by_id.load(self.bug_id)
        assert found is not None, "bug is a foreign key"
        return found

    @classmethod
    def from_model(cls, row: models.BugJobMap) -> BugLink:
        return cls(database_id=row.id, who=row.who, created=row.created, bug_open=row.bug_open, bug_id=row.bug_id)
