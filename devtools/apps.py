from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Tools for development, tests and the quick start, never a production process: the local
    Taskcluster/hg/GitHub server over sample_data/ (`serve_sample_services`) and the Pulse replay
    (`replay_pulse`). Installed so that it owns those commands; it has no models."""

    name = "devtools"
    label = "devtools"
