"""Sheriff annotations: classifications (notes) and links between jobs and bugs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.failures.models import Bugscache
from apps.jobs.models import FailureClassification, Job


class JobNote(models.Model):
    """A classification of a job. The newest note sets the job's failure classification."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="notes")
    failure_classification = models.ForeignKey(FailureClassification, on_delete=models.PROTECT, related_name="+")
    # NULL: written by the autoclassifier.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "job_note"
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.failure_classification_id}"

    @property
    def who(self) -> str:
        return self.user.email if self.user else "autoclassifier"


class BugJobMap(models.Model):
    """A job linked to a bug (a Bugzilla bug or an internal issue)."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="bug_links")
    bug = models.ForeignKey(Bugscache, on_delete=models.CASCADE, related_name="job_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    bug_open = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "bug_job_map"
        constraints = [models.UniqueConstraint(fields=["job", "bug"], name="bug_job_map_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}-{self.bug_id}"

    @property
    def who(self) -> str:
        return self.user.email if self.user else "autoclassifier"
