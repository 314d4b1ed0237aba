from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """Installed so that it can hold the Pulse management commands; it has no models."""

    name = "workers"
    label = "workers"
