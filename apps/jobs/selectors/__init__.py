"""Reads for jobs and their reference data. Split by concern; import from here."""

from apps.jobs.selectors.filters import JobFilter
from apps.jobs.selectors.lists import (
    JobPage,
    job_page,
    job_pages_by_push_ids,
    jobs_by_guids,
    jobs_by_ids,
    logs_by_job_ids,
)
from apps.jobs.selectors.reference import (
    build_platforms_by_ids,
    failure_classification_list,
    failure_classifications_by_ids,
    job_groups_by_ids,
    job_types_by_ids,
    machine_platforms_by_ids,
    machines_by_ids,
    option_labels_by_hashes,
    products_by_ids,
    signatures_by_ids,
)
from apps.jobs.selectors.table import COLUMNS as JOB_TABLE_COLUMNS
from apps.jobs.selectors.table import JobTable, duration_minutes, job_table

__all__ = [
    "JOB_TABLE_COLUMNS",
    "JobFilter",
    "JobPage",
    "JobTable",
    "build_platforms_by_ids",
    "duration_minutes",
    "failure_classification_list",
    "failure_classifications_by_ids",
    "job_groups_by_ids",
    "job_page",
    "job_pages_by_push_ids",
    "job_table",
    "job_types_by_ids",
    "jobs_by_guids",
    "jobs_by_ids",
    "logs_by_job_ids",
    "machine_platforms_by_ids",
    "machines_by_ids",
    "option_labels_by_hashes",
    "products_by_ids",
    "signatures_by_ids",
]
