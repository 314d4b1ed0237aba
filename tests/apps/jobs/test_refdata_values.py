"""Reference-data values are stored the way the database compares them: MariaDB's utf8mb4_bin is
PAD SPACE ('a11y ' = 'a11y'), so trailing whitespace is dropped before the upsert and the lookups."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from apps.jobs.models import Job, JobGroup, JobType
from apps.jobs.services.refdata import refdata_cache_clear
from apps.jobs.services.store import PreparedJob, jobs_store
from apps.jobs.services.taskcluster import (
    pulse_job_build,
    pulse_job_transform,
    task_definition_summary,
    task_summary_check,
)
from apps.live.models import Event
from apps.repositories.models import Repository
from tests.support.samples import sample, sample_task_push

pytestmark = pytest.mark.django_db

TASK_ID = "A35mWTRuQmyj88yMnIF0fA"  # symbol "a11y", group "Mochitests without e10s" (M-1proc)
PENDING = "exchange/taskcluster-queue/v1/task-pending"


def _job(definition: dict[str, Any]) -> dict[str, Any]:
    summary = task_definition_summary(definition)
    origin = task_summary_check(task_id=TASK_ID, summary=summary)
    body = sample("taskcluster_pulse_messages")[TASK_ID]["payload"]
    pulse_job = pulse_job_build(
        body=body, exchange=PENDING, root_url="https://tc.example", summary=summary, origin=origin
    )
    assert pulse_job is not None
    return pulse_job_transform(pulse_job)["job"]


def test_a_task_whose_symbol_and_group_name_end_in_a_space_is_stored(reference_data: None) -> None:
    refdata_cache_clear()
    repository = Repository.objects.get(name="autoland")
    definition, push = sample_task_push(TASK_ID)
    jobs_store(jobs=[PreparedJob(repository=repository, push_id=push.id, data=_job(definition))])
    spaced = copy.deepcopy(definition)
    spaced["extra"]["treeherder"]["symbol"] = "a11y "
    spaced["extra"]["treeherder"]["groupName"] = "Mochitests without e10s  "
    data = _job(spaced)
    data["job_guid"] = "037e6659-346e-426c-a3f3-cc8c9c81747c/1"  # another run of the task

    result = jobs_store(jobs=[PreparedJob(repository=repository, push_id=push.id, data=data)])

    assert result.created == 1
    first, second = Job.objects.order_by("id")
    assert (second.job_type_id, second.job_group_id, second.signature_id) == (
        first.job_type_id,
        first.job_group_id,
        first.signature_id,
    )
    assert second.option_collection_hash == first.option_collection_hash
    assert list(JobType.objects.filter(symbol__startswith="a11y").values_list("symbol", flat=True)) == ["a11y"]
    assert JobGroup.objects.filter(name__startswith="Mochitests without e10s").count() == 1
    assert Event.objects.order_by("-id").values_list("payload__job_type_symbol", flat=True)[0] == "a11y"
