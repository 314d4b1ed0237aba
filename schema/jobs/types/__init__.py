"""GraphQL types of the jobs domain. Split by concern; import from here."""

from schema.classification.types import FailureClassification
from schema.jobs.types.job import (
    JOB_CURSOR,
    JOBS_PAGE,
    Job,
    JobConnection,
    JobEdge,
    JobLog,
    JobLogParseStatus,
    job_cursor,
)
from schema.jobs.types.reference import (
    JobGroup,
    JobResult,
    JobState,
    JobType,
    Machine,
    OptionCollection,
    Platform,
)
from schema.jobs.types.table import JOB_TABLE_CURSOR, JOB_TABLE_PAGE, JobTable, selected_columns, table_cursor

__all__ = [
    "JOBS_PAGE",
    "JOB_CURSOR",
    "JOB_TABLE_CURSOR",
    "JOB_TABLE_PAGE",
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
