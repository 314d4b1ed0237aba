"""Writes for jobs: Taskcluster ingestion (transform, reference data, the job store) and fixtures.

Ingestion is documented in docs/ingestion.md; the pipeline is
`pulse_tasks_ingest` (ingest.py) -> `task_definitions_get` and `task_artifacts_get` (definitions.py)
-> `task_message_validate`, `task_summary_check`, `pulse_job_build` and `pulse_job_transform`
(taskcluster.py) -> `jobs_store` (store.py, with refdata.py).
"""

from apps.jobs.services.fixtures import failure_classifications_load_fixture

__all__ = ["failure_classifications_load_fixture"]
