"""Classification semantics (treeherder-domain.md §8.9): the newest note sets the job's
classification, back to "not classified" (1) when the last note goes; bug links need exactly one
id and a repeated link is a no-op; clearing a push; nothing deleted leaves the audit trail; and
each change publishes exactly the events the live views need."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from apps.classification import services
from apps.classification.models import BugJobMap, InvestigatedTest, JobNote
from apps.failures.models import Bugscache
from apps.jobs.models import Job
from apps.live.models import Event
from tests import factories as f
from tests.support.accounts import make_user

pytestmark = pytest.mark.usefixtures("reference_data")


def _fc(job: Job) -> int:
    job.refresh_from_db()
    return job.failure_classification_id


def _events(job: Job) -> list[tuple[str, list[str]]]:
    return [(e.type, e.payload["changed"]) for e in Event.objects.filter(job_id=job.id).order_by("id")]


def test_the_newest_note_wins_and_deleting_the_last_restores_not_classified() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    job = f.JobFactory(result="testfailed")

    (first,) = services.jobs_classify(user=alice, job_ids=[job.id], classification_id=2, text="fixed by backout")
    after_first = _fc(job)
    (second,) = services.jobs_classify(user=bob, job_ids=[job.id], classification_id=4)
    after_second = _fc(job)
    services.note_delete(user=alice, note_id=second.id)
    after_deleting_newest = _fc(job)
    services.note_delete(user=alice, note_id=first.id)
    after_deleting_last = _fc(job)

    assert (after_first, after_second, after_deleting_newest, after_deleting_last) == (2, 4, 2, 1)
    kept = {n.id: (n.deleted_at is not None, n.deleted_by_id) for n in JobNote.objects.filter(job=job)}
    assert kept == {first.id: (True, alice.id), second.id: (True, alice.id)}
    assert _events(job) == [
        ("job.changed", ["notes", "failure_classification"]),
        ("job.changed", ["notes", "failure_classification"]),
        ("job.changed", ["notes", "failure_classification"]),
        ("job.changed", ["notes", "failure_classification"]),
    ]
    with pytest.raises(services.NotFound):
        services.note_delete(user=alice, note_id=first.id)  # already deleted


def test_the_same_classification_again_is_a_note_but_no_reclassification() -> None:
    user = make_user("carol")
    job = f.JobFactory(result="testfailed")
    services.jobs_classify(user=user, job_ids=[job.id], classification_id=4)
    services.jobs_classify(user=user, job_ids=[job.id], classification_id=4, text="still intermittent")

    assert _events(job) == [("job.changed", ["notes", "failure_classification"]), ("job.changed", ["notes"])]
    assert JobNote.objects.filter(job=job).count() == 2


def test_classify_many_is_all_or_nothing_and_capped() -> None:
    user = make_user("dave")
    jobs = [f.JobFactory(result="testfailed") for _ in range(3)]

    with pytest.raises(services.NotFound) as missing:
        services.jobs_classify(user=user, job_ids=[jobs[0].id, 999_999_999], classification_id=4)
    with override_settings(CLASSIFY_BATCH_MAX=2), pytest.raises(services.InvalidInput) as too_many:
        services.jobs_classify(user=user, job_ids=[j.id for j in jobs], classification_id=4)
    with pytest.raises(services.NotFound):
        services.jobs_classify(user=user, job_ids=[jobs[0].id], classification_id=99)
    notes = services.jobs_classify(
        user=user, job_ids=[j.id for j in jobs], classification_id=4, bug=services.BugRef(bugzilla_id=1234567)
    )

    assert missing.value.ids == [999_999_999]
    assert too_many.value.field == "jobIds"
    assert [_fc(j) for j in jobs] == [4, 4, 4]
    assert len(notes) == 3
    stub = Bugscache.objects.get(bugzilla_id=1234567)
    assert stub.processed_update is False  # a stub for the bugscache refresh to fill in
    assert sorted(BugJobMap.objects.filter(bug=stub).values_list("job_id", flat=True)) == sorted(j.id for j in jobs)
    assert _events(jobs[0]) == [("job.changed", ["notes", "bug_links", "failure_classification"])]


def test_bug_links_need_exactly_one_id_and_linking_again_is_a_no_op() -> None:
    user = make_user("erin")
    job = f.JobFactory(result="testfailed")
    internal = f.BugscacheFactory(bugzilla_id=None, summary="an internal issue")

    for bad in ({}, {"bugzilla_id": 1, "internal_id": internal.id}, {"bugzilla_id": 0}):
        with pytest.raises(services.InvalidInput):
            services.BugRef(**bad)
    link, created = services.bug_link(user=user, job_id=job.id, bug=services.BugRef(internal_id=internal.id))
    again, created_again = services.bug_link(user=user, job_id=job.id, bug=services.BugRef(internal_id=internal.id))
    services.bug_unlink(user=user, job_id=job.id, bug=services.BugRef(internal_id=internal.id))
    relinked, relinked_created = services.bug_link(
        user=user, job_id=job.id, bug=services.BugRef(internal_id=internal.id)
    )
    with pytest.raises(services.NotFound):
        services.bug_link(user=user, job_id=job.id, bug=services.BugRef(internal_id=999_999_999))

    assert (created, created_again, again.id, relinked_created) == (True, False, link.id, True)
    history = list(BugJobMap.objects.filter(job=job).order_by("id").values_list("id", "active", "deleted_by_id"))
    assert history == [(link.id, None, user.id), (relinked.id, True, None)]
    assert _events(job) == [("job.changed", ["bug_links"])] * 3  # the no-op published nothing


def test_clearing_a_push_resets_its_annotated_jobs_and_keeps_the_trail() -> None:
    user, sheriff = make_user("frank"), make_user("grace", sheriff=True)
    push = f.PushFactory()
    classified, linked, untouched = (f.JobFactory(push=push, result="testfailed") for _ in range(3))
    other = f.JobFactory(result="testfailed")
    services.jobs_classify(user=user, job_ids=[classified.id, other.id], classification_id=4)
    services.bug_link(user=user, job_id=linked.id, bug=services.BugRef(bugzilla_id=42))

    cleared = services.push_classifications_clear(user=sheriff, push_id=push.id)

    assert cleared == sorted([classified.id, linked.id])
    assert (_fc(classified), _fc(linked), _fc(untouched), _fc(other)) == (1, 1, 1, 4)
    assert not JobNote.objects.filter(job__push=push, deleted_at__isnull=True).exists()
    assert JobNote.objects.get(job=classified).deleted_by_id == sheriff.id
    assert BugJobMap.objects.get(job=linked).active is None
    assert _events(classified)[-1] == ("job.changed", ["notes", "bug_links", "failure_classification"])
    assert _events(linked)[-1] == ("job.changed", ["notes", "bug_links"])
    assert services.push_classifications_clear(user=sheriff, push_id=push.id) == []


def test_investigated_tests_mark_and_unmark() -> None:
    user = make_user("heidi")
    job = f.JobFactory(result="testfailed")
    kwargs: dict[str, Any] = {"user": user, "push_id": job.push_id, "job_type_id": job.job_type_id}

    row, created = services.investigated_test_mark(**kwargs, test=" dom/test_a.html ")
    _, created_again = services.investigated_test_mark(**kwargs, test="dom/test_a.html")
    services.investigated_test_unmark(**kwargs, test="dom/test_a.html")
    with pytest.raises(services.NotFound):
        services.investigated_test_unmark(**kwargs, test="dom/test_a.html")
    with pytest.raises(services.InvalidInput):
        services.investigated_test_mark(**kwargs, test="x" * 351)

    assert (row.test, row.who, created, created_again) == ("dom/test_a.html", "heidi@example.com", True, False)
    assert not InvestigatedTest.objects.exists()
    pushed = Event.objects.filter(type="push.changed", push_id=job.push_id).values_list("payload", flat=True)
    assert [p["changed"] for p in pushed] == [["investigated_tests"], ["investigated_tests"]]
