"""The per-process reference-data id cache: bounded, never preloads machines (Taskcluster worker
ids), and holds only ids of rows that committed."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.db import transaction

from apps.jobs.models import Job, JobType, Machine
from apps.jobs.services.refdata import refdata_cache_clear, refdata_cache_snapshot
from apps.jobs.services.store import PreparedJob, jobs_store
from apps.pushes.models import Push
from apps.repositories.models import Repository
from tests.support.samples import sample

TASK_ID = "A35mWTRuQmyj88yMnIF0fA"


class RolledBack(Exception):
    pass


def _job(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(sample("taskcluster_transformed_jobs")[TASK_ID]["job"])
    data.update(changes)
    return data


@pytest.fixture
def prepared(reference_data: None) -> Any:
    refdata_cache_clear()
    repository = Repository.objects.get(name="autoland")
    push = Push.objects.create(repository=repository, revision="a" * 40, author="a@b.c", time="2019-06-26T19:00:00Z")

    def make(**changes: Any) -> PreparedJob:
        return PreparedJob(repository=repository, push_id=push.id, data=_job(**changes))

    yield make
    refdata_cache_clear()


@pytest.mark.django_db(transaction=True)
def test_ids_of_a_rolled_back_batch_are_not_cached(prepared: Any) -> None:
    jobs_store(jobs=[prepared(state="pending")])
    running = prepared(state="running", machine="worker-i-0123456789abcdef")

    # The batch stores a new machine, then its transaction rolls back (a deadlock at commit, the
    # database gone, a time limit): the machine row never existed.
    with pytest.raises(RolledBack), transaction.atomic():
        jobs_store(jobs=[running])
        raise RolledBack
    assert not Machine.objects.filter(name="worker-i-0123456789abcdef").exists()
    assert ("machine", ("worker-i-0123456789abcdef",)) not in refdata_cache_snapshot()

    # Delivered again, the update creates the machine rather than pointing at the lost row.
    result = jobs_store(jobs=[running])

    assert result.updated == 1
    job = Job.objects.select_related("machine").get()
    assert (job.state, job.machine.name) == ("running", "worker-i-0123456789abcdef")
    assert refdata_cache_snapshot()[("machine", ("worker-i-0123456789abcdef",))] == job.machine_id


@pytest.mark.django_db(transaction=True)
def test_the_cache_is_bounded_and_machines_are_not_preloaded(prepared: Any, settings: Any) -> None:
    Machine.objects.bulk_create([Machine(name=f"old-worker-{n}") for n in range(30)])
    JobType.objects.create(name="an-old-job-type", symbol="old")
    settings.INGEST_REFDATA_LRU_SIZE = 200

    jobs_store(jobs=[prepared(state="pending", machine=f"worker-{n}", job_guid=f"guid-{n}/0") for n in range(3)])

    cached = refdata_cache_snapshot()
    # Job types were preloaded (the newest rows of the table), machines were not.
    assert ("job_type", ("an-old-job-type", "old")) in cached
    assert not any(key[0] == "machine" and key[1][0].startswith("old-worker-") for key in cached)
    assert {key[1][0] for key in cached if key[0] == "machine"} == {"worker-0", "worker-1", "worker-2"}

    settings.INGEST_REFDATA_LRU_SIZE = 5
    jobs_store(jobs=[prepared(state="pending", machine=f"other-{n}", job_guid=f"other-{n}/0") for n in range(10)])

    assert len(refdata_cache_snapshot()) == 5
