"""Pushes and their commits."""

from __future__ import annotations

from django.db import models

from apps.repositories.models import Repository


class Push(models.Model):
    """One push to a repository. `revision` is the tip (head) commit."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="pushes")
    revision = models.CharField(max_length=40)
    author = models.CharField(max_length=150)
    # hg: the pushlog date; git: the head commit's committer date.
    time = models.DateTimeField()
    # Filled only when the push matched a wildcard branch rule (RepositoryBranch).
    branch = models.CharField(max_length=255, blank=True, default="")
    # Bumped on every stored change; the cursor for "what changed since".
    last_modified = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        db_table = "push"
        constraints = [
            models.UniqueConstraint(fields=["repository", "revision"], name="push_repository_revision_unique"),
        ]
        indexes = [
            models.Index(fields=["revision"], name="push_revision_idx"),
            models.Index(fields=["time"], name="push_time_idx"),
            # The push list: newest first within a repository, with id as the keyset tie-breaker.
            models.Index(fields=["repository", "-time", "-id"], name="push_repo_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.revision}"


class Commit(models.Model):
    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="commits")
    revision = models.CharField(max_length=40)
    author = models.CharField(max_length=150)
    comments = models.TextField()

    class Meta:
        db_table = "commit"
        constraints = [
            models.UniqueConstraint(fields=["push", "revision"], name="commit_push_revision_unique"),
        ]
        indexes = [models.Index(fields=["revision"], name="commit_revision_idx")]

    def __str__(self) -> str:
        return self.revision
