"""GraphQL types of the jobs domain. Split by concern; import from here."""

from schema.jobs.types.job import Job, JobConnection, JobEdge, JobLog, JobLogParseStatus, job_cursor
from schema.jobs.types.reference import (
    FailureClassification,
    JobGroup,
    JobResult,
    JobState,
    JobType,
    Machine,
    OptionCollection,
    Platform,
)
from schema.jobs.types.table import JobTable, selected_columns, table_cursor

__all__ = [
    "FailureClassification",
    "Job",
    "JobConnection",
    "JobEdge",
    "JobGroup",
    "JobLog",
    "JobLogParseStatus",
    "JobResult",
    "JobState",
    "JobTable",
    "JobType",
    "Machine",
    "OptionCollection",
    "Platform",
    "job_cursor",
    "selected_columns",
    "table_cursor",
]
