"""Project configuration: environment (env.py), Django settings, ASGI entry point, Celery app."""
