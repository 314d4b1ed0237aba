"""Live-event retention by hand (the scheduler runs it every 10 minutes)."""

import datetime
from typing import Any

from django.core.management.base import BaseCommand

from apps.live.retention import prune_events


class Command(BaseCommand):
    help = "Delete live events older than 24 hours beyond the newest 100,000 (the resume window)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = prune_events(now=datetime.datetime.now(tz=datetime.UTC))
        self.stdout.write(f"{deleted} live events deleted")
