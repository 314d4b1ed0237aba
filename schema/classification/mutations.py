"""Sheriffing mutations: parse the input, check the permission table, call one service, return the
result (domain errors as data in each result union; refusals as GraphQL errors, see
schema/accounts/identity.py)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from apps.accounts.permissions import Action
from apps.classification import services
from apps.jobs.models import Job as JobModel
from schema.accounts.identity import require
from schema.classification.types import BugLink, InvestigatedTest, JobNote
from schema.db import db
from schema.info import Info
from schema.jobs.dataloaders import JobByIdLoader
from schema.jobs.types import Job
from schema.pushes.dataloaders import PushByIdLoader
from schema.pushes.types import Push
from schema.results import InvalidInput, NotFound


def _job(row: JobModel | None) -> Job | None:
    return Job.from_model(row) if row is not None else None


@strawberry.input(description="A bug: exactly one of a Bugzilla id or an internal issue id.")
class BugInput:
    bugzilla_id: int | None = None
    internal_id: int | None = strawberry.field(default=None, description="Treeherder's own id of an internal issue.")

    def ref(self) -> services.BugRef:
        return services.BugRef(bugzilla_id=self.bugzilla_id, internal_id=self.internal_id)


@strawberry.input
class ClassifyJobsInput:
    job_ids: list[int] = strawberry.field(description="Database ids of the jobs (at most CLASSIFY_BATCH_MAX).")
    classification_id: int = strawberry.field(description="A failure classification id (1-8).")
    text: str = ""
    bug: BugInput | None = strawberry.field(default=None, description="Also link this bug to every job.")


@strawberry.type
class JobsClassified:
    notes: list[JobNote]

    @strawberry.field(description="The jobs as they are now.")
    async def jobs(self, info: Info) -> list[Job]:
        rows = await JobByIdLoader.of(info).load_many([n.job_id for n in self.notes])
        return [Job.from_model(row) for row in rows if row is not None]


@strawberry.type
class NoteDeleted:
    note: JobNote = strawberry.field(description="The note, now marked deleted.")

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        return _job(await JobByIdLoader.of(info).load(self.note.job_id))


@strawberry.type
class BugLinked:
    link: BugLink
    created: bool = strawberry.field(description="False: the job was already linked to this bug (nothing changed).")
    job_id: strawberry.Private[int]

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        return _job(await JobByIdLoader.of(info).load(self.job_id))


@strawberry.type
class BugUnlinked:
    link: BugLink = strawberry.field(description="The link, now marked deleted.")
    job_id: strawberry.Private[int]

    @strawberry.field
    async def job(self, info: Info) -> Job | None:
        return _job(await JobByIdLoader.of(info).load(self.job_id))


@strawberry.type
class PushClassificationsCleared:
    job_ids: list[int] = strawberry.field(description="The jobs whose notes and bug links were cleared.")
    push_id: strawberry.Private[int]

    @strawberry.field
    async def push(self, info: Info) -> Push | None:
        row = await PushByIdLoader.of(info).load(self.push_id)
        return Push.from_model(row) if row is not None else None


@strawberry.type
class InvestigatedTestMarked:
    investigated_test: InvestigatedTest
    created: bool = strawberry.field(description="False: it was already marked.")


@strawberry.type
class InvestigatedTestUnmarked:
    push_id: int


ClassifyJobsResult = Annotated[JobsClassified | NotFound | InvalidInput, strawberry.union("ClassifyJobsResult")]
DeleteNoteResult = Annotated[NoteDeleted | NotFound, strawberry.union("DeleteNoteResult")]
LinkBugResult = Annotated[BugLinked | NotFound | InvalidInput, strawberry.union("LinkBugResult")]
UnlinkBugResult = Annotated[BugUnlinked | NotFound | InvalidInput, strawberry.union("UnlinkBugResult")]
ClearPushClassificationsResult = Annotated[
    PushClassificationsCleared | NotFound, strawberry.union("ClearPushClassificationsResult")
]
MarkInvestigatedTestResult = Annotated[
    InvestigatedTestMarked | NotFound | InvalidInput, strawberry.union("MarkInvestigatedTestResult")
]
UnmarkInvestigatedTestResult = Annotated[
    InvestigatedTestUnmarked | NotFound | InvalidInput, strawberry.union("UnmarkInvestigatedTestResult")
]


def _as_data(exc: services.AnnotationError) -> Any:
    if isinstance(exc, services.InvalidInput):
        return InvalidInput(message=exc.message, field=exc.field)
    assert isinstance(exc, services.NotFound)
    return NotFound(message=exc.message, ids=exc.ids)


@strawberry.type
class ClassificationMutations:
    @strawberry.mutation(
        description="Classify one or many jobs: a note on each (the newest note sets the job's classification), "
        "optionally linking a bug. Any signed-in user, or a token with the classify scope."
    )
    async def classify_jobs(self, info: Info, input: ClassifyJobsInput) -> ClassifyJobsResult:
        principal = await require(info, Action.CLASSIFY)
        try:
            bug = input.bug.ref() if input.bug is not None else None
            notes = await db(services.jobs_classify)(
                user=principal.user,
                job_ids=input.job_ids,
                classification_id=input.classification_id,
                text=input.text,
                bug=bug,
            )
        except services.AnnotationError as exc:
            return _as_data(exc)
        return JobsClassified(notes=[JobNote.from_model(n) for n in notes])

    @strawberry.mutation(
        description="Delete a note (kept, marked deleted, in the job's noteHistory); the job's classification "
        'becomes the newest remaining note\'s, or "not classified".'
    )
    async def delete_note(self, info: Info, database_id: int) -> DeleteNoteResult:
        principal = await require(info, Action.DELETE_NOTE)
        try:
            note = await db(services.note_delete)(user=principal.user, note_id=database_id)
        except services.AnnotationError as exc:
            return _as_data(exc)
        return NoteDeleted(note=JobNote.from_model(note))

    @strawberry.mutation(description="Link a job to a bug. Linking the same bug again changes nothing.")
    async def link_bug(self, info: Info, job_id: int, bug: BugInput, bug_open: bool = False) -> LinkBugResult:
        principal = await require(info, Action.LINK_BUG)
        try:
            link, created = await db(services.bug_link)(
                user=principal.user, job_id=job_id, bug=bug.ref(), bug_open=bug_open
            )
        except services.AnnotationError as exc:
            return _as_data(exc)
        return BugLinked(link=BugLink.from_model(link), created=created, job_id=job_id)

    @strawberry.mutation(description="Unlink a bug from a job (kept, marked deleted, in the job's bugLinkHistory).")
    async def unlink_bug(self, info: Info, job_id: int, bug: BugInput) -> UnlinkBugResult:
        principal = await require(info, Action.UNLINK_BUG)
        try:
            link = await db(services.bug_unlink)(user=principal.user, job_id=job_id, bug=bug.ref())
        except services.AnnotationError as exc:
            return _as_data(exc)
        return BugUnlinked(link=BugLink.from_model(link), job_id=job_id)

    @strawberry.mutation(
        description="Sheriffs only: clear every classification and bug link of a push's jobs (they go back to "
        '"not classified"; the notes stay in the audit trail).'
    )
    async def clear_push_classifications(self, info: Info, push_id: int) -> ClearPushClassificationsResult:
        principal = await require(info, Action.CLEAR_PUSH_CLASSIFICATIONS)
        try:
            job_ids = await db(services.push_classifications_clear)(user=principal.user, push_id=push_id)
        except services.AnnotationError as exc:
            return _as_data(exc)
        return PushClassificationsCleared(job_ids=job_ids, push_id=push_id)

    @strawberry.mutation(description="Put a failing test of a push on Push Health's to-do list.")
    async def mark_investigated_test(
        self, info: Info, push_id: int, job_type_id: int, test: str
    ) -> MarkInvestigatedTestResult:
        principal = await require(info, Action.MARK_INVESTIGATED)
        try:
            row, created = await db(services.investigated_test_mark)(
                user=principal.user, push_id=push_id, job_type_id=job_type_id, test=test
            )
        except services.AnnotationError as exc:
            return _as_data(exc)
        return InvestigatedTestMarked(investigated_test=InvestigatedTest.from_model(row), created=created)

    @strawberry.mutation(description="Take a test off the push's to-do list.")
    async def unmark_investigated_test(
        self, info: Info, push_id: int, job_type_id: int, test: str
    ) -> UnmarkInvestigatedTestResult:
        principal = await require(info, Action.UNMARK_INVESTIGATED)
        try:
            await db(services.investigated_test_unmark)(
                user=principal.user, push_id=push_id, job_type_id=job_type_id, test=test
            )
        except services.AnnotationError as exc:
            return _as_data(exc)
        return InvestigatedTestUnmarked(push_id=push_id)
