"""Repositories: the trees Treeherder shows, grouped, and the git branches that map onto them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


class RepositoryGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")

    class Meta:
        db_table = "repository_group"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Repository(models.Model):
    class DvcsType(models.TextChoices):
        HG = "hg"
        GIT = "git"

    class ActiveStatus(models.TextChoices):
        ACTIVE = "active"
        ONHOLD = "onhold"

    # Ids are fixed by the fixture (1 = mozilla-central, 4 = try, 77 = autoland, ...): URLs carry them.
    id = models.AutoField(primary_key=True)
    repository_group = models.ForeignKey(RepositoryGroup, on_delete=models.PROTECT, related_name="repositories")
    name = models.CharField(max_length=50, unique=True)
    dvcs_type = models.CharField(max_length=25, choices=DvcsType.choices)
    url = models.CharField(max_length=255)
    codebase = models.CharField(max_length=50, blank=True, default="")
    description = models.TextField(blank=True, default="")
    active_status = models.CharField(
        max_length=7, choices=ActiveStatus.choices, default=ActiveStatus.ACTIVE, db_index=True
    )
    life_cycle_order = models.PositiveIntegerField(null=True, blank=True, default=None)
    performance_alerts_enabled = models.BooleanField(default=False)
    expire_performance_data = models.BooleanField(default=True)
    is_try_repo = models.BooleanField(default=False)
    tc_root_url = models.CharField(max_length=255)
    accepts_pull_requests = models.BooleanField(default=False)

    class Meta:
        db_table = "repository"
        verbose_name_plural = "repositories"
        ordering = ["repository_group_id", "name"]
        indexes = [models.Index(fields=["url", "active_status"], name="repository_url_status_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.active_status == self.ActiveStatus.ACTIVE


class RepositoryBranch(models.Model):
    """Maps a git branch to a repository when several repositories share one GitHub URL.

    The branch may end in one suffix wildcard (`releases/*`, `*`), which matches any branch with
    that prefix.
    """

    id = models.BigAutoField(primary_key=True)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="branches")
    branch = models.CharField(max_length=255)

    class Meta:
        db_table = "repository_branch"
        constraints = [
            models.UniqueConstraint(fields=["repository", "branch"], name="repository_branch_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.repository_id}:{self.branch}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if "*" in self.branch[:-1]:
            raise ValidationError({"branch": "Only one '*' is allowed, and only at the end."})

    @property
    def is_wildcard(self) -> bool:
        return self.branch.endswith("*")

    def matches(self, branch: str) -> bool:
        if self.is_wildcard:
            return branch.startswith(self.branch[:-1])
        return branch == self.branch
