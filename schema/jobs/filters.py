"""The job filter input, shared by every job list (`Push.jobs`, `jobs`, `jobTable`)."""

from __future__ import annotations

import datetime

import strawberry

from apps.jobs.selectors import JobFilter
from schema.jobs.types import JobResult, JobState


@strawberry.input(name="JobFilter", description="Restricts a job list. Every given field must match (AND).")
class JobFilterInput:
    result: list[JobResult] | None = strawberry.field(default=None, description="Any of these results.")
    state: list[JobState] | None = strawberry.field(default=None, description="Any of these states.")
    tier: list[int] | None = strawberry.field(default=None, description="Any of these tiers, e.g. [1, 2].")
    platform: str | None = strawberry.field(default=None, description='Machine platform name, e.g. "linux64".')
    option: str | None = strawberry.field(default=None, description='An option label, e.g. "debug".')
    search: str | None = strawberry.field(
        default=None,
        description="Case-insensitive substring of the job type name, job type symbol or job group symbol.",
    )
    job_type_name: str | None = strawberry.field(default=None, description="Exact job type name.")
    job_type_symbol: str | None = strawberry.field(default=None, description="Exact job type symbol.")
    job_group_symbol: str | None = strawberry.field(default=None, description="Exact job group symbol.")
    failure_classification_id: list[int] | None = strawberry.field(
        default=None, description="Any of these FailureClassification ids (1-8)."
    )
    last_modified_after: datetime.datetime | None = strawberry.field(
        default=None, description="Only jobs changed after this time (the polling cursor)."
    )

    def to_filter(self, *, push_ids: list[int] | None = None, repository_id: int | None = None) -> JobFilter:
        return JobFilter(
            push_ids=tuple(push_ids) if push_ids is not None else None,
            repository_id=repository_id,
            results=tuple(r.value for r in self.result or ()),
            states=tuple(s.value for s in self.state or ()),
            tiers=tuple(self.tier or ()),
            platform=self.platform,
            option=self.option,
            search=self.search,
            job_type_name=self.job_type_name,
            job_type_symbol=self.job_type_symbol,
            job_group_symbol=self.job_group_symbol,
            failure_classification_ids=tuple(self.failure_classification_id or ()),
            last_modified_after=self.last_modified_after,
        )


def job_filter(value: JobFilterInput | None, **scope: object) -> JobFilter:
    """The selector filter for an optional input, scoped to pushes or a repository."""
    return (value or JobFilterInput()).to_filter(**scope)  # type: ignore[arg-type]
