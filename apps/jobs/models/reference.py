"""Reference data ("refdata"): rows created lazily during ingestion and never edited.

Every table has a unique key so that concurrent ingestion can upsert instead of read-then-insert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        db_table = "product"

    def __str__(self) -> str:
        return self.name


class _PlatformFields(models.Model):
    os_name = models.CharField(max_length=25)
    platform = models.CharField(max_length=100)
    architecture = models.CharField(max_length=25)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.os_name} {self.platform} {self.architecture}"


class BuildPlatform(_PlatformFields):
    class Meta:
        db_table = "build_platform"
        constraints = [
            models.UniqueConstraint(fields=["os_name", "platform", "architecture"], name="build_platform_unique"),
        ]


class MachinePlatform(_PlatformFields):
    """The "platform" the UI shows. Taskcluster always sends build platform == machine platform."""

    class Meta:
        db_table = "machine_platform"
        constraints = [
            models.UniqueConstraint(fields=["os_name", "platform", "architecture"], name="machine_platform_unique"),
        ]


class Machine(models.Model):
    """A worker (the Taskcluster workerId)."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        db_table = "machine"

    def __str__(self) -> str:
        return self.name


class Option(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        db_table = "option"

    def __str__(self) -> str:
        return self.name


class OptionCollection(models.Model):
    """A set of options (e.g. {debug}, {asan, opt}): one row per option, sharing one hash."""

    option_collection_hash = models.CharField(max_length=40)
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="collections")

    class Meta:
        db_table = "option_collection"
        constraints = [
            models.UniqueConstraint(fields=["option_collection_hash", "option"], name="option_collection_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.option_collection_hash}:{self.option_id}"

    @staticmethod
    def calculate_hash(option_names: Iterable[str]) -> str:
        """SHA-1 of the sorted option names concatenated with no separator (Treeherder's rule)."""
        return hashlib.sha1("".join(sorted(option_names)).encode("utf-8"), usedforsecurity=False).hexdigest()


class JobType(models.Model):
    symbol = models.CharField(max_length=25, default="?")
    # The Taskcluster task label, cut to 139 characters by ingestion.
    name = models.CharField(max_length=140)
    description = models.TextField(blank=True, default="")

    class Meta:
        db_table = "job_type"
        constraints = [models.UniqueConstraint(fields=["name", "symbol"], name="job_type_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.symbol})"


class JobGroup(models.Model):
    symbol = models.CharField(max_length=25, default="?")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")

    class Meta:
        db_table = "job_group"
        constraints = [models.UniqueConstraint(fields=["name", "symbol"], name="job_group_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.symbol})"


class FailureClassification(models.Model):
    """How a sheriff classified a failure. Ids 1-8 are fixed and relied on everywhere."""

    NOT_CLASSIFIED = 1
    FIXED_BY_COMMIT = 2
    EXPECTED_FAIL = 3
    INTERMITTENT = 4
    INFRA = 5
    NEW_FAILURE = 6
    AUTOCLASSIFIED_INTERMITTENT = 7
    INTERMITTENT_NEEDS_BUGID = 8
    # A failed job with one of these is still "unclassified": the UI's count, and what jobFailures'
    # unclassifiedOnly lets through. (Push status counts only NOT_CLASSIFIED, as Treeherder.)
    UNCLASSIFIED_IDS = frozenset({NOT_CLASSIFIED, NEW_FAILURE, AUTOCLASSIFIED_INTERMITTENT, INTERMITTENT_NEEDS_BUGID})

    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        db_table = "failure_classification"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ReferenceDataSignatures(models.Model):
    """Identifies "the same job on the same platform and configuration in this repository"."""

    name = models.CharField(max_length=255)
    signature = models.CharField(max_length=50)
    build_os_name = models.CharField(max_length=25)
    build_platform = models.CharField(max_length=100)
    build_architecture = models.CharField(max_length=25)
    machine_os_name = models.CharField(max_length=25)
    machine_platform = models.CharField(max_length=100)
    machine_architecture = models.CharField(max_length=25)
    job_group_name = models.CharField(max_length=255)
    job_group_symbol = models.CharField(max_length=25)
    job_type_name = models.CharField(max_length=140)
    job_type_symbol = models.CharField(max_length=25)
    option_collection_hash = models.CharField(max_length=64)
    build_system_type = models.CharField(max_length=25)
    # The repository *name*, as Treeherder stores it (not a foreign key).
    repository = models.CharField(max_length=50)
    first_submission_timestamp = models.IntegerField()

    class Meta:
        db_table = "reference_data_signatures"
        constraints = [
            models.UniqueConstraint(
                fields=["name", "signature", "build_system_type", "repository"],
                name="reference_data_signature_unique",
            ),
        ]
        indexes = [models.Index(fields=["signature"], name="refdata_signature_idx")]

    def __str__(self) -> str:
        return self.signature

    @staticmethod
    def calculate_signature(
        *,
        build_system_type: str,
        repository: str,
        build_platform: tuple[str, str, str],
        machine_platform: tuple[str, str, str],
        job_group: tuple[str, str],
        job_type: tuple[str, str],
        option_collection_hash: str,
        reference_data_name: str | None = None,
    ) -> str:
        """SHA-1 over Treeherder's fields, concatenated in its order.

        Platforms are (os_name, platform, architecture), group and type are (name, symbol).
        Taskcluster jobs have no reference-data name, which Treeherder hashes as the string "None".
        """
        parts = [
            build_system_type,
            repository,
            *build_platform,
            *machine_platform,
            *job_group,
            *job_type,
            option_collection_hash,
            str(reference_data_name),
        ]
        return hashlib.sha1("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()
