"""Pulse listeners and Celery tasks: thin adapters that call services in apps/."""
