"""Jobs and their reference data. Split by concern; import from here."""

from apps.jobs.models.job import Job, JobLog, TaskclusterMetadata
from apps.jobs.models.reference import (
    BuildPlatform,
    FailureClassification,
    JobGroup,
    JobType,
    Machine,
    MachinePlatform,
    Option,
    OptionCollection,
    Product,
    ReferenceDataSignatures,
)

__all__ = [
    "BuildPlatform",
    "FailureClassification",
    "Job",
    "JobGroup",
    "JobLog",
    "JobType",
    "Machine",
    "MachinePlatform",
    "Option",
    "OptionCollection",
    "Product",
    "ReferenceDataSignatures",
    "TaskclusterMetadata",
]
