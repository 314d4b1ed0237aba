"""Sheriff annotations: classifications (notes), links between jobs and bugs, investigated tests.

Nothing a person wrote is deleted: deleting a note or unlinking a bug marks the row deleted (when
and by whom), so the audit trail keeps it; the job's classification and its bug links are derived
from the rows that are not deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.failures.models import Bugscache
from apps.jobs.models import FailureClassification, Job, JobType
from apps.pushes.models import Push


def _who(user: object) -> str:
    return str(getattr(user, "email", "") or getattr(user, "username", "")) if user is not None else "autoclassifier"


class JobNote(models.Model):
    """A classification of a job. The newest note sets the job's failure classification."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="notes")
    failure_classification = models.ForeignKey(FailureClassification, on_delete=models.PROTECT, related_name="+")
    # NULL: written by the autoclassifier.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "job_note"
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.failure_classification_id}"

    @property
    def who(self) -> str:
        return _who(self.user)


class BugJobMap(models.Model):
    """A job linked to a bug (a Bugzilla bug or an internal issue)."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="bug_links")
    bug = models.ForeignKey(Bugscache, on_delete=models.CASCADE, related_name="job_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    bug_open = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    # True while linked, NULL once unlinked: unique (job, bug, active) then allows one live link
    # and any number of unlinked ones (MariaDB has no partial unique index, but NULLs never clash).
    active = models.BooleanField(null=True, default=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "bug_job_map"
        constraints = [models.UniqueConstraint(fields=["job", "bug", "active"], name="bug_job_map_live_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}-{self.bug_id}"

    @property
    def who(self) -> str:
        return _who(self.user)


class InvestigatedTest(models.Model):
    """Push Health's to-do list: a failing test of a push that someone is looking at."""

    id = models.BigAutoField(primary_key=True)
    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="investigated_tests")
    job_type = models.ForeignKey(JobType, on_delete=models.CASCADE, related_name="+")
    test = models.CharField(max_length=350)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "investigated_tests"
        constraints = [
            models.UniqueConstraint(fields=["job_type", "test", "push"], name="investigated_tests_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.push_id}: {self.test}"

    @property
    def who(self) -> str:
        return _who(self.user)
