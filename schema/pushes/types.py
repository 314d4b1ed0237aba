"""The Push type, its commits and status counts, and the push connection (with its job table)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from apps.pushes import models
from schema.classification.dataloaders import InvestigatedTestsByPushIdLoader
from schema.classification.types import InvestigatedTest
from schema.failures.dataloaders import HealthSummaryByPushIdLoader
from schema.failures.health import PushHealthSummary
from schema.ids import node_database_ids
from schema.info import Info
from schema.jobs.dataloaders import JobPageKey, JobPagesByPushIdLoader
from schema.jobs.filters import JobFilterInput, job_filter
from schema.jobs.resolvers import connection_from_page, resolve_job_table
from schema.jobs.types import JOB_CURSOR, JOB_TABLE_PAGE, JOBS_PAGE, JobConnection, JobTable
from schema.limits import bounded, page_items
from schema.loading import required
from schema.pagination import PageInfo, decode_int_cursor, encode_cursor
from schema.pushes.dataloaders import CommitsByPushIdLoader, PushByIdLoader, PushStatusByPushIdLoader
from schema.repositories.dataloaders import RepositoryByIdLoader
from schema.repositories.types import Repository

PUSH_CURSOR = "push"
MAX_COMMITS_PER_PUSH = 200
MAX_INVESTIGATED_TESTS_PER_PUSH = 500


@strawberry.type(description="A commit of a push.")
class Commit:
    database_id: int
    revision: str
    author: str = strawberry.field(description='"Name <email>".')
    comments: str

    @classmethod
    def from_model(cls, row: models.Commit) -> Commit:
        return cls(database_id=row.id, revision=row.revision, author=row.author, comments=row.comments)


@strawberry.type(
    description="Job counts of a push as Treeherder's push status computes them: only unclassified jobs that are "
    "not tier 3. Completed jobs count under their result and in `completed`, others under their state."
)
class PushStatus:
    completed: int = 0
    pending: int = 0
    running: int = 0
    unscheduled: int = 0
    success: int = 0
    testfailed: int = 0
    busted: int = 0
    exception: int = 0
    retry: int = 0
    usercancel: int = 0
    superseded: int = 0
    coalesced: int = strawberry.field(default=0, description="The same as `superseded` (a legacy name).")
    unknown: int = 0

    @classmethod
    def from_counts(cls, counts: dict[str, int]) -> PushStatus:
        known = set(cls.__annotations__)
        return cls(**{key: value for key, value in counts.items() if key in known})


@strawberry.type(description="A push to a repository: one or more commits, and the jobs they triggered.")
class Push(relay.Node):
    pk: relay.NodeID[int]
    database_id: int = strawberry.field(description="The numeric id Treeherder URLs carry.")
    revision: str = strawberry.field(description="The tip (head) commit.")
    author: str
    time: datetime.datetime = strawberry.field(description="hg: the pushlog date; git: the head commit's date.")
    branch: str | None = strawberry.field(description="The branch, when the push matched a wildcard branch rule.")
    last_modified: datetime.datetime
    repository_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.Push) -> Push:
        return cls(
            pk=row.id,
            database_id=row.id,
            revision=row.revision,
            author=row.author,
            time=row.time,
            branch=row.branch or None,
            last_modified=row.last_modified,
            repository_id=row.repository_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False, **kwargs: Any
    ) -> list[Push | None]:
        rows = await PushByIdLoader.of(info).load_many(node_database_ids(node_ids, "Push"))
        return [cls.from_model(row) if row is not None else None for row in rows]

    @strawberry.field
    async def repository(self, info: Info) -> Repository:
        found = await RepositoryByIdLoader.of(info).load(self.repository_id)
        return Repository.from_model(required(found, "a push's repository"))

    @strawberry.field(
        description="The commits, oldest first (at most the last 200).", metadata=bounded(MAX_COMMITS_PER_PUSH)
    )
    async def commits(self, info: Info) -> list[Commit]:
        return [Commit.from_model(row) for row in await CommitsByPushIdLoader.of(info).load(self.database_id)]

    @strawberry.field(description="How many commits the push has.")
    async def commit_count(self, info: Info) -> int:
        return len(await CommitsByPushIdLoader.of(info).load(self.database_id))

    @strawberry.field
    async def status(self, info: Info) -> PushStatus:
        return PushStatus.from_counts(required(await PushStatusByPushIdLoader.of(info).load(self.database_id)))

    @strawberry.field(description="Test, build and lint verdicts (Push Health), batched for a page of pushes.")
    async def health_summary(self, info: Info) -> PushHealthSummary:
        return PushHealthSummary.build(await HealthSummaryByPushIdLoader.of(info).load(self.database_id))

    @strawberry.field(
        description="Push Health's to-do list: the tests someone marked as being investigated.",
        metadata=bounded(MAX_INVESTIGATED_TESTS_PER_PUSH),
    )
    async def investigated_tests(self, info: Info) -> list[InvestigatedTest]:
        rows = await InvestigatedTestsByPushIdLoader.of(info).load(self.database_id)
        return [InvestigatedTest.from_model(row) for row in rows[:MAX_INVESTIGATED_TESTS_PER_PUSH]]

    @strawberry.field(description="The push's jobs in id order, a page at a time (at most 2,000).", metadata=JOBS_PAGE)
    async def jobs(
        self, info: Info, filter: JobFilterInput | None = None, first: int = 100, after: str | None = None
    ) -> JobConnection:
        key = JobPageKey(
            push_id=self.database_id,
            filters=job_filter(filter),
            first=first,
            after_id=decode_int_cursor(JOB_CURSOR, after) if after else None,
        )
        return connection_from_page(await JobPagesByPushIdLoader.of(info).load(key))


@strawberry.type
class PushEdge:
    cursor: str
    node: Push


@strawberry.type(description="A page of pushes, newest first (keyset pagination: pass endCursor as `after`).")
class PushConnection:
    page_info: PageInfo
    pushes: strawberry.Private[list[Push]]

    @strawberry.field(metadata=page_items())
    def edges(self) -> list[PushEdge]:
        return [PushEdge(cursor=push_cursor(p), node=p) for p in self.pushes]

    @strawberry.field(metadata=page_items(), description="The pushes of the page, without edges.")
    def nodes(self) -> list[Push]:
        return self.pushes

    @strawberry.field(
        description="Every job of this page's pushes as one table (the job view's grid in one field): "
        "columns you select, reference data once. Rows are ordered by push id, then job id.",
        metadata=JOB_TABLE_PAGE,
    )
    async def job_table(
        self, info: Info, filter: JobFilterInput | None = None, first: int = 20_000, after: str | None = None
    ) -> JobTable:
        return await resolve_job_table(
            info, push_ids=[p.database_id for p in self.pushes], filter=filter, first=first, after=after
        )


def push_cursor(push: Push) -> str:
    return encode_cursor(PUSH_CURSOR, push.database_id, push.time.isoformat())
