"""Store Treeherder's expected pulse-consumer output (tests/fixtures/treeherder/
taskcluster_transformed_jobs.json) as rows, through factories, the way ingestion would store it.

Until ingestion lands (another branch), this stands in for "data ingested from the sample
messages": every value the read API returns for these jobs comes from Treeherder's own fixture.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from apps.jobs.models import Job, OptionCollection
from apps.repositories.models import Repository
from tests.factories import (
    BuildPlatformFactory,
    JobFactory,
    JobGroupFactory,
    JobLogFactory,
    JobTypeFactory,
    MachineFactory,
    MachinePlatformFactory,
    OptionCollectionFactory,
    OptionFactory,
    ProductFactory,
    PushFactory,
    ReferenceDataSignaturesFactory,
    TaskclusterMetadataFactory,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "treeherder" / "taskcluster_transformed_jobs.json"
PUSH_TIME = datetime.datetime(2019, 6, 26, 19, tzinfo=datetime.UTC)


def sample_jobs() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def _time(value: int | None) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value else None


def store_sample_jobs(repository: Repository) -> dict[str, Job]:
    """One push per revision, one job per sample; returns the jobs by guid."""
    pushes: dict[str, Any] = {}
    stored: dict[str, Job] = {}
    for n, sample in enumerate(sample_jobs().values()):
        job = sample["job"]
        revision = sample["revision"]
        if revision not in pushes:
            pushes[revision] = PushFactory(
                repository=repository, revision=revision, time=PUSH_TIME + datetime.timedelta(minutes=len(pushes))
            )
        options = sorted(job["option_collection"])
        collection_hash = OptionCollection.calculate_hash(options)
        for option in options:
            OptionCollectionFactory(option=OptionFactory(name=option), option_collection_hash=collection_hash)
        machine_platform = MachinePlatformFactory(**job["machine_platform"])
        build_platform = BuildPlatformFactory(**job["build_platform"])
        row = JobFactory(
            guid=job["job_guid"],
            push=pushes[revision],
            signature=ReferenceDataSignaturesFactory(signature=f"{n:040x}", repository=repository.name),
            machine_platform=machine_platform,
            build_platform=build_platform,
            machine=MachineFactory(name=job["machine"]),
            job_type=JobTypeFactory(name=job["name"], symbol=job["job_symbol"]),
            job_group=JobGroupFactory(name=job["group_name"], symbol=job["group_symbol"]),
            product=ProductFactory(name=job["product_name"]),
            option_collection_hash=collection_hash,
            who=job["who"],
            reason=job["reason"],
            state=job["state"],
            result=job["result"],
            tier=job["tier"],
            submit_time=_time(job.get("submit_timestamp")),
            start_time=_time(job.get("start_timestamp")),
            end_time=_time(job.get("end_timestamp")),
        )
        TaskclusterMetadataFactory(job=row, task_id=job["taskcluster_task_id"], retry_id=job["taskcluster_retry_id"])
        for log in job["log_references"]:
            JobLogFactory(job=row, name=log["name"], url=log["url"], status=0)
        stored[row.guid] = row
    return stored
