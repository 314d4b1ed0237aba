"""Test data for the read API: pushes with jobs and everything the job view shows, from factories."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from apps.jobs.models import FailureClassification, Job, OptionCollection
from apps.pushes.models import Push
from apps.repositories.models import Repository
from tests.factories import (
    BugJobMapFactory,
    BuildPlatformFactory,
    CommitFactory,
    FailureLineFactory,
    JobFactory,
    JobGroupFactory,
    JobLogFactory,
    JobNoteFactory,
    JobTypeFactory,
    MachinePlatformFactory,
    OptionCollectionFactory,
    OptionFactory,
    PushFactory,
    RepositoryFactory,
    TaskclusterMetadataFactory,
    TextLogErrorFactory,
)

BASE_TIME = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)


@dataclass
class Tree:
    repository: Repository
    pushes: list[Push] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)


def build_tree(*, pushes: int, jobs_per_push: int = 3, repository: Repository | None = None) -> Tree:
    """`pushes` pushes (newest last), each with two commits and `jobs_per_push` jobs that vary in
    type, group, platform, options, state, result and tier; every job has Taskcluster ids and a
    log, and the first job of each push has failure data, a note and a bug link."""
    repo = repository or RepositoryFactory(name="autoland-test")
    debug = OptionCollectionFactory(option=OptionFactory(name="debug"))
    opt = OptionCollectionFactory(option=OptionFactory(name="opt"))
    platforms = [
        MachinePlatformFactory(os_name="linux", platform="linux64", architecture="x86_64"),
        MachinePlatformFactory(os_name="win", platform="windows11-64", architecture="x86_64"),
    ]
    build_platforms = [
        BuildPlatformFactory(os_name=p.os_name, platform=p.platform, architecture=p.architecture) for p in platforms
    ]
    groups = [JobGroupFactory(name="Mochitests", symbol="M"), JobGroupFactory(name="Build", symbol="B")]
    types = [JobTypeFactory(name=f"test-mochitest-{i}", symbol=f"m{i}") for i in range(3)]
    shapes = [
        (Job.State.COMPLETED, Job.Result.SUCCESS, 1),
        (Job.State.COMPLETED, Job.Result.TESTFAILED, 1),
        (Job.State.RUNNING, Job.Result.UNKNOWN, 2),
        (Job.State.PENDING, Job.Result.UNKNOWN, 3),
        (Job.State.COMPLETED, Job.Result.SUPERSEDED, 1),
    ]
    tree = Tree(repository=repo)
    for p in range(pushes):
        push = PushFactory(
            repository=repo, time=BASE_TIME + datetime.timedelta(minutes=p), author=f"dev{p}@mozilla.com"
        )
        CommitFactory(push=push, comments=f"Bug {p} - first")
        CommitFactory(push=push, revision=push.revision, comments=f"Bug {p} - tip")
        tree.pushes.append(push)
        for j in range(jobs_per_push):
            state, result, tier = shapes[j % len(shapes)]
            collection = debug if j % 2 else opt
            job = JobFactory(
                push=push,
                state=state,
                result=result,
                tier=tier,
                job_type=types[j % len(types)],
                job_group=groups[j % len(groups)],
                machine_platform=platforms[j % len(platforms)],
                build_platform=build_platforms[j % len(platforms)],
                option_collection_hash=collection.option_collection_hash,
                end_time=None if state != Job.State.COMPLETED else BASE_TIME + datetime.timedelta(minutes=30),
            )
            TaskclusterMetadataFactory(job=job, task_id=f"T{push.id:04d}x{j:016d}"[:22], retry_id=j % 2)
            log = JobLogFactory(job=job)
            if j == 0:
                TextLogErrorFactory(job=job, line="TEST-UNEXPECTED-FAIL | a.html | boom", line_number=10)
                FailureLineFactory(job_log=JobLogFactory(job=job, name="errorsummary_json"), line=1)
                JobNoteFactory(job=job)
                BugJobMapFactory(job=job)
                job.failure_classification_id = FailureClassification.INTERMITTENT
                job.save()
            assert log.pk
            tree.jobs.append(job)
    assert OptionCollection.objects.count() >= 2
    return tree
