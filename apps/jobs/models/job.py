"""The job (one Taskcluster task run), its Taskcluster ids, and its logs."""

from __future__ import annotations

from django.db import models

from apps.jobs.models.reference import (
    BuildPlatform,
    FailureClassification,
    JobGroup,
    JobType,
    Machine,
    MachinePlatform,
    Product,
    ReferenceDataSignatures,
)
from apps.pushes.models import Push
from apps.repositories.models import Repository


class Job(models.Model):
    class State(models.TextChoices):
        UNSCHEDULED = "unscheduled"
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"

    class Result(models.TextChoices):
        UNKNOWN = "unknown"
        SUCCESS = "success"
        TESTFAILED = "testfailed"
        BUSTED = "busted"
        EXCEPTION = "exception"
        RETRY = "retry"
        USERCANCEL = "usercancel"
        SUPERSEDED = "superseded"

    # States only move forward: the job store (apps/jobs/services/store.py) compares these ranks, in
    # Python and in the SQL of its conditional upsert, which it generates from them.
    STATE_RANK: dict[str, int] = {State.UNSCHEDULED: 0, State.PENDING: 1, State.RUNNING: 2, State.COMPLETED: 3}

    id = models.BigAutoField(primary_key=True)
    # `<taskId as a dashed UUID>/<runId>`, e.g. 037e6659-346e-426c-a3f3-cc8c9c81747c/0.
    guid = models.CharField(max_length=50, unique=True)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="jobs")
    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="jobs")
    signature = models.ForeignKey(ReferenceDataSignatures, on_delete=models.PROTECT, related_name="jobs")
    build_platform = models.ForeignKey(BuildPlatform, on_delete=models.PROTECT, related_name="jobs")
    machine_platform = models.ForeignKey(MachinePlatform, on_delete=models.PROTECT, related_name="jobs")
    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="jobs")
    job_type = models.ForeignKey(JobType, on_delete=models.PROTECT, related_name="jobs")
    job_group = models.ForeignKey(JobGroup, on_delete=models.PROTECT, related_name="jobs")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="jobs")
    failure_classification = models.ForeignKey(
        FailureClassification,
        on_delete=models.PROTECT,
        related_name="jobs",
        default=FailureClassification.NOT_CLASSIFIED,
    )
    # Not a foreign key: a collection is a set of OptionCollection rows sharing this hash.
    option_collection_hash = models.CharField(max_length=64)
    who = models.CharField(max_length=50)
    reason = models.CharField(max_length=125, default="scheduled")
    state = models.CharField(max_length=25, choices=State.choices)
    result = models.CharField(max_length=25, choices=Result.choices, default=Result.UNKNOWN)
    tier = models.PositiveSmallIntegerField(default=1)
    # Missing times are NULL here (Treeherder stored the 1970 epoch); see docs/deviations.md.
    submit_time = models.DateTimeField(null=True, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    # Bumped by every stored change, including classification; the "changed since" cursor.
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "job"
        indexes = [
            # The job view: every job of a push, in id order (keyset pagination on id).
            models.Index(fields=["push", "id"], name="job_push_id_idx"),
            models.Index(fields=["push", "repository"], name="job_push_repo_idx"),
            models.Index(fields=["last_modified"], name="job_last_modified_idx"),
            models.Index(fields=["repository", "last_modified"], name="job_repo_last_modified_idx"),
            # Similar jobs, cycling and intermittent detection, as in Treeherder.
            models.Index(fields=["repository", "job_type", "start_time"], name="job_repo_type_start_idx"),
            models.Index(
                fields=["repository", "build_platform", "job_type", "start_time"], name="job_repo_bp_type_start_idx"
            ),
            models.Index(
                fields=["repository", "option_collection_hash", "job_type", "start_time"],
                name="job_repo_opt_type_start_idx",
            ),
            models.Index(
                fields=["repository", "build_platform", "option_collection_hash", "job_type", "start_time"],
                name="job_repo_bp_opt_type_idx",
            ),
            models.Index(fields=["machine_platform", "option_collection_hash", "push"], name="job_mp_opt_push_idx"),
            models.Index(fields=["repository", "submit_time"], name="job_repo_submit_idx"),
            models.Index(fields=["repository", "job_type", "push"], name="job_repo_type_push_idx"),
        ]

    def __str__(self) -> str:
        return self.guid


class TaskclusterMetadata(models.Model):
    """The Taskcluster ids of a job: the slug taskId and the runId."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, primary_key=True, related_name="taskcluster_metadata")
    task_id = models.CharField(max_length=22, db_index=True)
    retry_id = models.PositiveIntegerField()

    class Meta:
        db_table = "taskcluster_metadata"

    def __str__(self) -> str:
        return f"{self.task_id}/{self.retry_id}"


class JobLog(models.Model):
    class Status(models.IntegerChoices):
        PENDING = 0
        PARSED = 1
        FAILED = 2
        SKIPPED_SIZE = 3, "skipped-size"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="logs")
    # live_backing_log, errorsummary_json, perfherder-data-*.json
    name = models.CharField(max_length=50)
    url = models.CharField(max_length=255)
    status = models.PositiveSmallIntegerField(choices=Status.choices, default=Status.PENDING)

    class Meta:
        db_table = "job_log"
        constraints = [models.UniqueConstraint(fields=["job", "name", "url"], name="job_log_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.name}"
