"""Writes for jobs: Taskcluster ingestion (transform, reference data, the job store) and fixtures.

Ingestion is documented in README "Ingestion"; the pipeline is
`pulse_tasks_ingest` (ingest.py) -> `task_definitions_get` (definitions.py) -> `pulse_message_to_job`
(taskcluster.py) -> `jobs_store` (store.py, with refdata.py).
"""

from apps.jobs.services.fixtures import failure_classifications_load_fixture

__all__ = ["failure_classifications_load_fixture"]
