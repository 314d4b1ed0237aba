"""Writes for sheriff annotations: classify, delete a note, link and unlink bugs, clear a push,
mark investigated tests. Every one publishes its live events through apps.live.publish.

The job's classification is derived, never set directly: after any change to its notes it is the
newest remaining note's, or "not classified" (1) when none is left (treeherder-domain.md §8.9).
Jobs are locked (SELECT ... FOR UPDATE) while their notes change, so two sheriffs classifying the
same job at once cannot leave it with the older note's classification. Every writer of job rows
locks them in id order (here and the ingestion store, apps/jobs/services/store.py), so two of them
cannot deadlock on each other's rows; a deadlock or lock wait timeout that happens anyway (the
relay, a scheduled job, lock timeouts under load) runs the whole service again, a few times, and
then surfaces as TransientConflict (apps/core/transactions.py; the API's TRY_AGAIN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.classification.models import BugJobMap, InvestigatedTest, JobNote
from apps.core.transactions import retry_conflicts
from apps.failures.models import Bugscache
from apps.jobs.models import FailureClassification, Job, JobType
from apps.live.events import JobChanged, PushChanged
from apps.live.publish import publish
from apps.pushes.models import Push

MAX_NOTE_TEXT = 10_000
MAX_TEST_NAME = 350


class AnnotationError(Exception):
    """A domain error the client can act on; mutations return it as data."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AnnotationError):
    def __init__(self, message: str, ids: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.ids = list(ids)


class InvalidInput(AnnotationError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class BugRef:
    """Exactly one of a Bugzilla id or an internal issue id (Bugscache's own id)."""

    bugzilla_id: int | None = None
    internal_id: int | None = None

    def __post_init__(self) -> None:
        if (self.bugzilla_id is None) == (self.internal_id is None):
            raise InvalidInput("bugzillaId", "Give exactly one of bugzillaId or internalId.")
        for field, value in (("bugzillaId", self.bugzilla_id), ("internalId", self.internal_id)):
            if value is not None and value <= 0:
                raise InvalidInput(field, f"{field} must be positive.")


# -- shared steps -----------------------------------------------------------------------------------


def _lock_jobs(job_ids: Iterable[int]) -> list[int]:
    """Lock the jobs (in id order, so concurrent writers cannot deadlock); the ids that exist."""
    wanted = sorted(set(job_ids))
    found = list(Job.objects.select_for_update().filter(id__in=wanted).order_by("id").values_list("id", flat=True))
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise NotFound(f"No job with id {', '.join(map(str, missing))}.", missing)
    return found


def _rederive(job_ids: list[int]) -> set[int]:
    """Set each job's classification from its newest live note (1 when none is left) and bump its
    last_modified. Returns the jobs whose classification changed."""
    newest: dict[int, int] = {}
    notes = JobNote.objects.filter(job_id__in=job_ids, deleted_at__isnull=True).order_by("job_id", "-created", "-id")
    for job_id, classification_id in notes.values_list("job_id", "failure_classification_id"):
        newest.setdefault(job_id, classification_id)
    current = dict(Job.objects.filter(id__in=job_ids).values_list("id", "failure_classification_id"))
    now = timezone.now()
    by_target: dict[int, list[int]] = {}
    for job_id in job_ids:
        by_target.setdefault(newest.get(job_id, FailureClassification.NOT_CLASSIFIED), []).append(job_id)
    for classification_id, ids in by_target.items():
        Job.objects.filter(id__in=ids).update(failure_classification_id=classification_id, last_modified=now)
    return {job_id for job_id in job_ids if current[job_id] != newest.get(job_id, FailureClassification.NOT_CLASSIFIED)}


def _publish_jobs(job_ids: Iterable[int], changed: tuple[str, ...], *, reclassified: set[int] | None = None) -> None:
    jobs = Job.objects.filter(id__in=list(job_ids)).select_related(
        "repository", "machine_platform", "job_type", "job_group"
    )
    events = []
    for job in jobs.order_by("id"):
        what = (*changed, "failure_classification") if reclassified and job.id in reclassified else changed
        events.append(JobChanged.from_job(job, changed=what))
    publish(events)


def _bug(ref: BugRef, *, create: bool) -> Bugscache:
    if ref.internal_id is not None:
        found = Bugscache.objects.filter(id=ref.internal_id).first()
        if found is None:
            raise NotFound(f"No internal issue {ref.internal_id}.", [ref.internal_id])
        return found
    assert ref.bugzilla_id is not None
    found = Bugscache.objects.filter(bugzilla_id=ref.bugzilla_id).first()
    if found is not None:
        return found
    if not create:
        raise NotFound(f"No bug {ref.bugzilla_id} is linked here.", [ref.bugzilla_id])
    # Treeherder creates a stub for a Bugzilla bug it has not mirrored yet; the bugscache
    # refresh fills it in (processed_update=False marks it as waiting for that).
    try:
        with transaction.atomic():
            return Bugscache.objects.create(
                bugzilla_id=ref.bugzilla_id, status="", summary="", modified=timezone.now(), processed_update=False
            )
    except IntegrityError:  # created meanwhile by a concurrent link
        return Bugscache.objects.get(bugzilla_id=ref.bugzilla_id)


def _link(*, user: Any, job_id: int, bug: Bugscache, bug_open: bool) -> tuple[BugJobMap, bool]:
    existing = BugJobMap.objects.select_related("user").filter(job_id=job_id, bug=bug, active=True).first()
    if existing is not None:
        return existing, False
    return BugJobMap.objects.create(job_id=job_id, bug=bug, user=user, bug_open=bug_open), True


# -- services ---------------------------------------------------------------------------------------


@retry_conflicts("classifyJobs")
def jobs_classify(
    *,
    user: Any,
    job_ids: Sequence[int],
    classification_id: int,
    text: str = "",
    bug: BugRef | None = None,
) -> list[JobNote]:
    """A note on each job (the newest, so it sets the job's classification), and the bug linked to
    each if one is given. All jobs or none."""
    if not job_ids:
        raise InvalidInput("jobIds", "Name at least one job.")
    if len(set(job_ids)) > settings.CLASSIFY_BATCH_MAX:
        raise InvalidInput("jobIds", f"At most {settings.CLASSIFY_BATCH_MAX} jobs at once.")
    if len(text) > MAX_NOTE_TEXT:
        raise InvalidInput("text", f"A note has at most {MAX_NOTE_TEXT} characters.")
    if not FailureClassification.objects.filter(id=classification_id).exists():
        raise NotFound(f"No failure classification {classification_id}.", [classification_id])
    with transaction.atomic():
        ids = _lock_jobs(job_ids)
        notes = [
            JobNote.objects.create(job_id=job_id, failure_classification_id=classification_id, user=user, text=text)
            for job_id in ids
        ]
        changed: tuple[str, ...] = ("notes",)
        if bug is not None:
            found = _bug(bug, create=True)
            linked = [_link(user=user, job_id=job_id, bug=found, bug_open=False)[1] for job_id in ids]
            if any(linked):
                changed = ("notes", "bug_links")
        reclassified = _rederive(ids)
        _publish_jobs(ids, changed, reclassified=reclassified)
    return notes


@retry_conflicts("deleteNote")
def note_delete(*, user: Any, note_id: int) -> JobNote:
    """Mark a note deleted (kept for the audit trail) and re-derive its job's classification."""
    with transaction.atomic():
        job_id = JobNote.objects.filter(id=note_id, deleted_at__isnull=True).values_list("job_id", flat=True).first()
        if job_id is None:
            raise NotFound(f"No note {note_id} (or it is already deleted).", [note_id])
        _lock_jobs([job_id])
        # Re-read under the lock: a concurrent delete may have won.
        updated = JobNote.objects.filter(id=note_id, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by=user
        )
        if not updated:
            raise NotFound(f"No note {note_id} (or it is already deleted).", [note_id])
        reclassified = _rederive([job_id])
        _publish_jobs([job_id], ("notes",), reclassified=reclassified)
    return JobNote.objects.select_related("user", "deleted_by").get(id=note_id)


@retry_conflicts("linkBug")
def bug_link(*, user: Any, job_id: int, bug: BugRef, bug_open: bool = False) -> tuple[BugJobMap, bool]:
    """Link a job to a bug. Linking again is a no-op: (the existing link, False), no event."""
    with transaction.atomic():
        _lock_jobs([job_id])
        link, created = _link(user=user, job_id=job_id, bug=_bug(bug, create=True), bug_open=bug_open)
        if created:
            _publish_jobs([job_id], ("bug_links",))
    return link, created


@retry_conflicts("unlinkBug")
def bug_unlink(*, user: Any, job_id: int, bug: BugRef) -> BugJobMap:
    """Mark the job's link to the bug deleted (kept for the audit trail)."""
    with transaction.atomic():
        _lock_jobs([job_id])
        found = _bug(bug, create=False)
        link = BugJobMap.objects.select_related("user").filter(job_id=job_id, bug=found, active=True).first()
        if link is None:
            raise NotFound("This job is not linked to that bug.", [job_id])
        link.active = None
        link.deleted_at = timezone.now()
        link.deleted_by = user
        link.save(update_fields=["active", "deleted_at", "deleted_by"])
        _publish_jobs([job_id], ("bug_links",))
    return link


@retry_conflicts("clearPushClassifications")
def push_classifications_clear(*, user: Any, push_id: int) -> list[int]:
    """The pinboard's "clear all" for a whole push: every live note and bug link of its jobs is
    marked deleted and those jobs go back to "not classified". Returns the jobs cleared."""
    with transaction.atomic():
        if not Push.objects.filter(id=push_id).exists():
            raise NotFound(f"No push {push_id}.", [push_id])
        noted = JobNote.objects.filter(job__push_id=push_id, deleted_at__isnull=True).values_list("job_id", flat=True)
        linked = BugJobMap.objects.filter(job__push_id=push_id, active=True).values_list("job_id", flat=True)
        ids = _lock_jobs(set(noted) | set(linked))
        if not ids:
            return []
        now = timezone.now()
        JobNote.objects.filter(job_id__in=ids, deleted_at__isnull=True).update(deleted_at=now, deleted_by=user)
        BugJobMap.objects.filter(job_id__in=ids, active=True).update(active=None, deleted_at=now, deleted_by=user)
        reclassified = _rederive(ids)
        _publish_jobs(ids, ("notes", "bug_links"), reclassified=reclassified)
    return ids


def _investigated_inputs(push_id: int, job_type_id: int, test: str) -> tuple[Push, str]:
    test = test.strip()
    if not test or len(test) > MAX_TEST_NAME:
        raise InvalidInput("test", f"A test name has 1 to {MAX_TEST_NAME} characters.")
    push = Push.objects.select_related("repository").filter(id=push_id).first()
    if push is None:
        raise NotFound(f"No push {push_id}.", [push_id])
    if not JobType.objects.filter(id=job_type_id).exists():
        raise NotFound(f"No job type {job_type_id}.", [job_type_id])
    return push, test


@retry_conflicts("markInvestigatedTest")
def investigated_test_mark(*, user: Any, push_id: int, job_type_id: int, test: str) -> tuple[InvestigatedTest, bool]:
    """Put a test on the push's to-do list; marking it again is a no-op."""
    with transaction.atomic():
        push, test = _investigated_inputs(push_id, job_type_id, test)
        found, created = InvestigatedTest.objects.get_or_create(
            push=push, job_type_id=job_type_id, test=test, defaults={"user": user}
        )
        if created:
            publish([PushChanged.from_push(push, changed=("investigated_tests",))])
    # With what the caller shows loaded (callers may be async, where lazy loads are refused).
    return InvestigatedTest.objects.select_related("user", "job_type").get(id=found.id), created


@retry_conflicts("unmarkInvestigatedTest")
def investigated_test_unmark(*, user: Any, push_id: int, job_type_id: int, test: str) -> None:
    with transaction.atomic():
        push, test = _investigated_inputs(push_id, job_type_id, test)
        deleted, _ = InvestigatedTest.objects.filter(push=push, job_type_id=job_type_id, test=test).delete()
        if not deleted:
            raise NotFound("That test is not marked as investigated on this push.", [push_id])
        publish([PushChanged.from_push(push, changed=("investigated_tests",))])
