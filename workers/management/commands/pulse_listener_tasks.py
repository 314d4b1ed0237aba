"""Listen to the Taskcluster queue exchanges and enqueue `ingest.store_pulse_tasks` batches."""

from typing import Any

from django.core.management.base import BaseCommand

from workers.pulse.listener import TASKS, PulseListener


class Command(BaseCommand):
    help = "Consume Taskcluster task events from Pulse and hand them to Celery (store_pulse_tasks)."

    def handle(self, *args: Any, **options: Any) -> None:
        listener = PulseListener(TASKS)
        listener.install_signal_handlers()
        listener.run()
