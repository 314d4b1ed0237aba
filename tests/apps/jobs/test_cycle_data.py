"""cycle_data against generated old and new jobs: exactly the old ones go, with everything that hangs
off them; pushes, commits and bugs stay; an interrupted run leaves whole jobs and a re-run finishes."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from apps.classification.models import BugJobMap, JobNote
from apps.failures.models import Bugscache, FailureLine, Group, GroupStatus, TextLogError
from apps.jobs.models import Job, JobLog, JobType, Machine, TaskclusterMetadata
from apps.jobs.services.cycling import Interrupted, cycle_jobs, prune_reference_data, retention_days
from apps.pushes.models import Commit, Push
from tests.factories import (
    BugJobMapFactory,
    CommitFactory,
    FailureLineFactory,
    GroupStatusFactory,
    JobFactory,
    JobLogFactory,
    JobNoteFactory,
    PushFactory,
    RepositoryFactory,
    TaskclusterMetadataFactory,
    TextLogErrorFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC)


def _job_with_everything(push: Push, submitted: datetime.datetime, bug: Bugscache | None = None) -> Job:
    job = JobFactory(push=push, submit_time=submitted)
    TaskclusterMetadataFactory(job=job)
    log = JobLogFactory(job=job, name="errorsummary_json")
    FailureLineFactory(job_log=log)
    GroupStatusFactory(job_log=log)
    TextLogErrorFactory(job=job)
    JobNoteFactory(job=job)
    if bug is not None:
        BugJobMapFactory(job=job, bug=bug)
    else:
        BugJobMapFactory(job=job)
    return job


@pytest.fixture
def data() -> dict[str, Any]:
    """autoland (120 days): 6 old, 3 new jobs; try (30 days): 2 old (40 days), 2 new (10 days); one
    old autoland job shares its bug with a new job; one autoland job never got a submit time."""
    autoland = RepositoryFactory(name="autoland-cycle")
    tryrepo = RepositoryFactory(name="try-cycle", is_try_repo=True)
    old_push = PushFactory(repository=autoland)
    CommitFactory(push=old_push)
    new_push = PushFactory(repository=autoland)
    try_push = PushFactory(repository=tryrepo)
    shared_bug = BugJobMapFactory.build().bug
    shared_bug.save()
    old = [_job_with_everything(old_push, NOW - datetime.timedelta(days=200 - i)) for i in range(5)]
    old.append(_job_with_everything(old_push, NOW - datetime.timedelta(days=130), bug=shared_bug))
    new = [_job_with_everything(new_push, NOW - datetime.timedelta(days=d)) for d in (100, 5, 1)]
    new.append(_job_with_everything(new_push, NOW - datetime.timedelta(days=2), bug=shared_bug))
    try_old = [_job_with_everything(try_push, NOW - datetime.timedelta(days=40)) for _ in range(2)]
    try_new = [_job_with_everything(try_push, NOW - datetime.timedelta(days=10)) for _ in range(2)]
    # No submit time: its last change decides (old here).
    no_time = JobFactory(push=old_push, submit_time=None, start_time=None, end_time=None)
    Job.objects.filter(id=no_time.id).update(last_modified=NOW - datetime.timedelta(days=300))
    return {
        "old": [j.id for j in [*old, *try_old, no_time]],
        "kept": [j.id for j in [*new, *try_new]],
        "guids_old": [j.guid for j in [*old, *try_old]],
        "pushes": {old_push.id, new_push.id, try_push.id},
        "shared_bug": shared_bug.id,
        "old_job_type": old[0].job_type_id,
        "old_machine": old[0].machine_id,
    }


def _counts(job_ids: list[int]) -> dict[str, int]:
    logs = JobLog.objects.filter(job_id__in=job_ids)
    return {
        "job": Job.objects.filter(id__in=job_ids).count(),
        "taskcluster_metadata": TaskclusterMetadata.objects.filter(job_id__in=job_ids).count(),
        "job_log": logs.count(),
        "failure_line": FailureLine.objects.filter(job_log__in=logs).count(),
        "group_status": GroupStatus.objects.filter(job_log__in=logs).count(),
        "text_log_error": TextLogError.objects.filter(job_id__in=job_ids).count(),
        "job_note": JobNote.objects.filter(job_id__in=job_ids).count(),
        "bug_job_map": BugJobMap.objects.filter(job_id__in=job_ids).count(),
    }


def test_retention_defaults_and_overrides(settings: Any) -> None:
    settings.CYCLE_DATA_REPOSITORY_DAYS = {"special": 7}
    assert retention_days(RepositoryFactory(name="plain")) == 120
    assert retention_days(RepositoryFactory(name="trying", is_try_repo=True)) == 30
    assert retention_days(RepositoryFactory(name="special")) == 7


def test_deletes_exactly_the_old_jobs_and_their_failure_data(data: dict[str, Any]) -> None:
    kept_before = _counts(data["kept"])
    bugs_before = Bugscache.objects.count()
    lines: list[str] = []

    result = cycle_jobs(now=NOW, chunk_size=3, sleep=0, report=lines.append)

    assert result.jobs_deleted == len(data["old"]) == 9
    assert result.to_delete == {"autoland-cycle": 7, "try-cycle": 2}
    assert _counts(data["old"]) == dict.fromkeys(kept_before, 0)
    assert FailureLine.objects.filter(job_guid__in=data["guids_old"]).count() == 0
    assert _counts(data["kept"]) == kept_before == {
        "job": 6, "taskcluster_metadata": 6, "job_log": 6, "failure_line": 6, "group_status": 6,
        "text_log_error": 6, "job_note": 6, "bug_job_map": 6,
    }  # fmt: skip
    # Pushes, commits and bugs are never cycled.
    assert set(Push.objects.filter(id__in=data["pushes"]).values_list("id", flat=True)) == data["pushes"]
    assert Commit.objects.filter(push_id__in=data["pushes"]).count() == 1
    assert Bugscache.objects.count() == bugs_before
    assert BugJobMap.objects.filter(bug_id=data["shared_bug"]).count() == 1  # the new job's link stays
    # Progress: per chunk, the count, the rate and what remains.
    assert lines[0].startswith("autoland-cycle: 7 jobs older than 120 days")
    assert lines[1].startswith("try-cycle: 2 jobs older than 30 days")
    assert lines[2].startswith("autoland-cycle: 3/9 jobs deleted, ") and "6 remaining" in lines[2]
    assert lines[-1].startswith("try-cycle: 9/9 jobs deleted, ") and "0 remaining" in lines[-1]
    assert result.chunks == 4  # 3 + 3 + 1 autoland, 2 try


def test_dry_run_deletes_nothing(data: dict[str, Any]) -> None:
    before = _counts(data["old"] + data["kept"])
    out = StringIO()

    call_command("cycle_data", "--dry-run", stdout=out)

    assert _counts(data["old"] + data["kept"]) == before
    text = out.getvalue()
    assert "autoland-cycle: 7 jobs older than 120 days" in text
    assert "9 jobs to delete (dry run: nothing deleted)" in text
    assert "unused reference data (dry run)" in text


def test_an_interrupted_run_leaves_whole_jobs_and_a_rerun_finishes(data: dict[str, Any]) -> None:
    asked = iter([False, False, True])  # stop before the third chunk

    with pytest.raises(Interrupted):
        cycle_jobs(now=NOW, chunk_size=2, sleep=0, report=lambda line: None, should_stop=lambda: next(asked))

    remaining_old = list(Job.objects.filter(id__in=data["old"]).values_list("id", flat=True))
    assert len(remaining_old) == len(data["old"]) - 4
    # Every job still there is whole; every one gone is gone with all its rows.
    assert _counts(remaining_old) == {
        "job": 5,
        "taskcluster_metadata": 4,
        "job_log": 4,
        "failure_line": 4,
        "group_status": 4,
        "text_log_error": 4,
        "job_note": 4,
        "bug_job_map": 4,
    }  # fmt: skip  (the job without a submit time has none of them)
    gone = sorted(set(data["old"]) - set(remaining_old))
    assert _counts(gone) == dict.fromkeys(_counts(gone), 0)
    # The oldest went first.
    assert gone == sorted(data["old"][:4])

    result = cycle_jobs(now=NOW, chunk_size=2, sleep=0, report=lambda line: None)

    assert result.jobs_deleted == 5
    assert Job.objects.filter(id__in=data["old"]).count() == 0
    assert Job.objects.filter(id__in=data["kept"]).count() == len(data["kept"])


def test_unused_reference_data_is_pruned_and_used_rows_stay(data: dict[str, Any]) -> None:
    cycle_jobs(now=NOW, sleep=0, report=lambda line: None)
    used_types = set(Job.objects.values_list("job_type_id", flat=True))
    used_machines = set(Job.objects.values_list("machine_id", flat=True))
    groups_in_use = set(GroupStatus.objects.values_list("group_id", flat=True))

    deleted = prune_reference_data(chunk_size=2, report=lambda line: None)

    assert not JobType.objects.filter(id=data["old_job_type"]).exists()
    assert not Machine.objects.filter(id=data["old_machine"]).exists()
    assert set(JobType.objects.values_list("id", flat=True)) == used_types
    assert set(Machine.objects.values_list("id", flat=True)) == used_machines
    assert set(Group.objects.values_list("id", flat=True)) == groups_in_use
    assert (deleted["job_type"], deleted["machine"], deleted["group"]) == (9, 9, 8)
