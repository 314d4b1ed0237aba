"""Listen to the hg and GitHub push exchanges and enqueue `ingest.store_pulse_pushes` batches."""

from typing import Any

from django.core.management.base import BaseCommand

from workers.pulse.listener import PUSHES, PulseListener


class Command(BaseCommand):
    help = "Consume push events (hg.mozilla.org, GitHub) from Pulse and hand them to Celery (store_pulse_pushes)."

    def handle(self, *args: Any, **options: Any) -> None:
        listener = PulseListener(PUSHES)
        listener.install_signal_handlers()
        listener.run()
