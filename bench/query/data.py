"""Bulk test data for the query benchmark: pushes x jobs in MariaDB, generated fast.

Shaped like a busy autoland day: 60 job types in 12 groups, 8 platforms, 4 option collections,
a realistic mix of states and results, Taskcluster ids for every job.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid

from django.db import transaction

from apps.jobs.models import (
    BuildPlatform,
    Job,
    JobGroup,
    JobType,
    Machine,
    MachinePlatform,
    Option,
    OptionCollection,
    Product,
    ReferenceDataSignatures,
    TaskclusterMetadata,
)
from apps.pushes.models import Commit, Push
from apps.repositories.models import Repository

START = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
STATES = [
    (Job.State.COMPLETED, Job.Result.SUCCESS),
    (Job.State.COMPLETED, Job.Result.SUCCESS),
    (Job.State.COMPLETED, Job.Result.SUCCESS),
    (Job.State.COMPLETED, Job.Result.SUCCESS),
    (Job.State.COMPLETED, Job.Result.TESTFAILED),
    (Job.State.COMPLETED, Job.Result.BUSTED),
    (Job.State.COMPLETED, Job.Result.RETRY),
    (Job.State.RUNNING, Job.Result.UNKNOWN),
    (Job.State.PENDING, Job.Result.UNKNOWN),
    (Job.State.COMPLETED, Job.Result.SUPERSEDED),
]


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _get(model: type, **fields: object) -> object:
    obj, _ = model._default_manager.get_or_create(**fields)  # type: ignore[attr-defined]
    return obj


@transaction.atomic
def generate(*, repository: Repository, pushes: int, jobs_per_push: int) -> None:
    product = _get(Product, name="firefox")
    platforms = []
    for i, (os_name, name) in enumerate(
        [
            ("linux", "linux64"),
            ("linux", "linux1804-64"),
            ("win", "windows11-64"),
            ("mac", "macosx1470-64"),
            ("android", "android-em-7-0-x86_64"),
            ("linux", "linux2404-64"),
            ("win", "windows10-32"),
            ("mac", "macosx1500-aarch64"),
        ]
    ):
        arch = "aarch64" if "aarch64" in name else "x86_64"
        platforms.append(
            (
                _get(MachinePlatform, os_name=os_name, platform=name, architecture=arch),
                _get(BuildPlatform, os_name=os_name, platform=name, architecture=arch),
                i,
            )
        )
    collections = []
    for names in (["opt"], ["debug"], ["asan", "opt"], ["tsan", "opt"]):
        collection_hash = OptionCollection.calculate_hash(names)
        for name in names:
            _get(OptionCollection, option_collection_hash=collection_hash, option=_get(Option, name=name))
        collections.append(collection_hash)
    groups = [_get(JobGroup, name=f"Group {g}", symbol=f"G{g}") for g in range(12)]
    types = [_get(JobType, name=f"test-suite-{t}", symbol=f"s{t}") for t in range(60)]
    machines = [_get(Machine, name=f"i-{m:012x}") for m in range(200)]
    signatures = {}
    for t in range(len(types)):
        for p in range(len(platforms)):
            sig = _sha(f"bench-{repository.name}-{t}-{p}")
            signatures[(t, p)] = _get(
                ReferenceDataSignatures,
                name=sig,
                signature=sig,
                build_os_name="x",
                build_platform="x",
                build_architecture="x",
                machine_os_name="x",
                machine_platform="x",
                machine_architecture="x",
                job_group_name="x",
                job_group_symbol="x",
                job_type_name=types[t].name,
                job_type_symbol=types[t].symbol,
                option_collection_hash=collections[0],
                build_system_type="taskcluster",
                repository=repository.name,
                first_submission_timestamp=0,
            )

    push_rows = Push.objects.bulk_create(
        [
            Push(
                repository=repository,
                revision=_sha(f"bench-push-{n}"),
                author=f"dev{n % 17}@mozilla.com",
                time=START + datetime.timedelta(minutes=10 * n),
            )
            for n in range(pushes)
        ]
    )
    push_rows = list(Push.objects.filter(repository=repository).order_by("id"))
    Commit.objects.bulk_create(
        [
            Commit(
                push=push,
                revision=_sha(f"bench-commit-{push.id}-{c}"),
                author="Dev <dev@mozilla.com>",
                comments=f"Bug {push.id * 10 + c} - change {c}",
            )
            for push in push_rows
            for c in range(3)
        ]
    )
    for push in push_rows:
        jobs = []
        for j in range(jobs_per_push):
            machine_platform, build_platform, p = platforms[j % len(platforms)]
            t = (j // len(platforms)) % len(types)
            state, result = STATES[j % len(STATES)]
            submit = push.time + datetime.timedelta(seconds=j)
            jobs.append(
                Job(
                    guid=f"{uuid.UUID(int=push.id * 1_000_000 + j)}/0",
                    repository=repository,
                    push=push,
                    signature=signatures[(t, p)],
                    build_platform=build_platform,
                    machine_platform=machine_platform,
                    machine=machines[j % len(machines)],
                    job_type=types[t],
                    job_group=groups[t % len(groups)],
                    product=product,
                    option_collection_hash=collections[j % len(collections)],
                    who="bench@mozilla.com",
                    state=state,
                    result=result,
                    tier=1 + (j % 7 == 0) + (j % 13 == 0),
                    submit_time=submit,
                    start_time=None if state == Job.State.PENDING else submit + datetime.timedelta(minutes=2),
                    end_time=submit + datetime.timedelta(minutes=25) if state == Job.State.COMPLETED else None,
                )
            )
        created = Job.objects.bulk_create(jobs, batch_size=2000)
        TaskclusterMetadata.objects.bulk_create(
            [TaskclusterMetadata(job=job, task_id=f"{job.id:022d}"[-22:], retry_id=0) for job in created],
            batch_size=2000,
        )
