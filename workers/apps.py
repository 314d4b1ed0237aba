from django.apps import AppConfig


class WorkersConfig(AppConfig):
    """Installed so that it holds the long-running process commands (the Pulse listeners, the live
    relay) and `dead_letters`; it has no models."""

    name = "workers"
    label = "workers"
