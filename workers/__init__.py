"""Production processes: Pulse listeners, Celery tasks, the live relay command; thin adapters that call
services in apps/. Documented in docs/ingestion.md and docs/processes.md."""
