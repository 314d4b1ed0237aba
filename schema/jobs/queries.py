"""Queries for jobs: one job, job pages with filters, the job table, and the classifications."""

from __future__ import annotations

import strawberry

from apps.jobs import selectors
from apps.repositories.selectors import repository_get
from schema.db import db
from schema.errors import UserInputError
from schema.ids import database_id
from schema.info import Info
from schema.jobs.dataloaders import JobByGuidLoader, JobByIdLoader
from schema.jobs.filters import JobFilterInput, job_filter
from schema.jobs.resolvers import connection_from_page, resolve_job_table
from schema.jobs.types import (
    JOB_CURSOR,
    JOB_TABLE_PAGE,
    JOBS_PAGE,
    FailureClassification,
    Job,
    JobConnection,
    JobTable,
)
from schema.limits import bounded
from schema.pagination import decode_int_cursor

MAX_TABLE_PUSHES = 100


@strawberry.type
class JobQueries:
    @strawberry.field(description="One job: by `id` (its databaseId or global id) or by `guid`.")
    async def job(self, info: Info, id: strawberry.ID | None = None, guid: str | None = None) -> Job | None:
        if (id is None) == (guid is None):
            raise UserInputError("Give exactly one of `id` and `guid`.")
        if guid is not None:
            row = await JobByGuidLoader.of(info).load(guid)
        else:
            row = await JobByIdLoader.of(info).load(database_id(id or "", "Job"))
        return Job.from_model(row) if row is not None else None

    @strawberry.field(
        description="Jobs in id order, a page at a time (at most 2,000), of a repository and/or of pushes (by "
        "databaseId): one of the two is required. With `filter.lastModifiedAfter` this is the polling query.",
        metadata=JOBS_PAGE,
    )
    async def jobs(
        self,
        info: Info,
        repository: str | None = None,
        push_ids: list[int] | None = None,
        filter: JobFilterInput | None = None,
        first: int = 100,
        after: str | None = None,
    ) -> JobConnection:
        if push_ids is not None and len(push_ids) > MAX_TABLE_PUSHES:
            raise UserInputError(f"jobs: {len(push_ids)} pushIds exceed the limit of {MAX_TABLE_PUSHES}.")
        if repository is None and not push_ids:
            # Without either, a filter that matches nothing reads every job in the table.
            raise UserInputError("jobs: name a `repository` or `pushIds`.")
        repository_id = None
        if repository is not None:
            repo = await db(repository_get)(name=repository)
            if repo is None:
                raise UserInputError(f"Unknown repository `{repository}`.")
            repository_id = repo.id
        page = await db(selectors.job_page)(
            filters=job_filter(filter, push_ids=push_ids, repository_id=repository_id),
            first=first,
            after_id=decode_int_cursor(JOB_CURSOR, after) if after else None,
        )
        loader = JobByIdLoader.of(info)
        for row in page.jobs:
            loader.prime(row.id, row)
        return connection_from_page(page)

    @strawberry.field(
        description="The jobs of up to 100 pushes (by databaseId) as one table: see JobTable.",
        metadata=JOB_TABLE_PAGE,
    )
    async def job_table(
        self,
        info: Info,
        push_ids: list[int],
        filter: JobFilterInput | None = None,
        first: int = 20_000,
        after: str | None = None,
    ) -> JobTable:
        if len(push_ids) > MAX_TABLE_PUSHES:
            raise UserInputError(f"jobTable: {len(push_ids)} pushIds exceed the limit of {MAX_TABLE_PUSHES}.")
        return await resolve_job_table(info, push_ids=push_ids, filter=filter, first=first, after=after)

    @strawberry.field(description="The eight failure classifications, by id.", metadata=bounded(8))
    async def failure_classifications(self) -> list[FailureClassification]:
        rows = await db(selectors.failure_classification_list)()
        return [FailureClassification.from_model(row) for row in rows]
