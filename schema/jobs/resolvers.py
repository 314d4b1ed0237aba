"""Resolvers shared by more than one field: job pages as connections, and the job table.

`Query.jobs`, `Push.jobs` and the job-changed subscriptions return the same `JobConnection`;
`Query.jobTable` and `PushConnection.jobTable` the same `JobTable`. They live here, below the types
and queries of both domains, so neither imports the other's queries.
"""

from __future__ import annotations

from apps.jobs import selectors
from apps.jobs.selectors import JobPage
from schema.db import db
from schema.info import Info
from schema.jobs.filters import JobFilterInput, job_filter
from schema.jobs.types import JOB_TABLE_CURSOR, Job, JobConnection, JobTable, job_cursor, selected_columns
from schema.pagination import decode_pair_cursor, page_info
from schema.selection import selected_child_names


def connection_from_page(page: JobPage) -> JobConnection:
    jobs = [Job.from_model(row) for row in page.jobs]
    return JobConnection(
        page_info=page_info(has_next_page=page.has_next_page, cursors=[job_cursor(j.database_id) for j in jobs]),
        jobs=jobs,
    )


async def resolve_job_table(
    info: Info, *, push_ids: list[int], filter: JobFilterInput | None, first: int, after: str | None
) -> JobTable:
    """The job table of these pushes, reading only the columns the client selected."""
    names = selected_child_names(info)
    data = await db(selectors.job_table)(
        filters=job_filter(filter, push_ids=push_ids),
        columns=selected_columns(names),
        first=first,
        after=decode_pair_cursor(JOB_TABLE_CURSOR, after) if after else None,
        with_last_modified_max="lastModifiedMax" in names,
    )
    return JobTable(data=data)
