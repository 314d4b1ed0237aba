"""Run one of the scheduler's jobs now, in this process, as the worker would (with its lock,
metrics and last-run record): `manage.py run_scheduled cycle-data`."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.celery import app


class Command(BaseCommand):
    help = "Run a scheduled job (an entry of CELERY_BEAT_SCHEDULE) now, in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("entry", nargs="?", help="the entry's name; without it, list them")

    def handle(self, *args: Any, **options: Any) -> None:
        schedule = settings.CELERY_BEAT_SCHEDULE
        if not options["entry"]:
            for name, entry in schedule.items():
                self.stdout.write(f"{name}: {entry['task']} every {entry['schedule']}")
            return
        if options["entry"] not in schedule:
            raise CommandError(f"no scheduled entry {options['entry']!r}; there are {', '.join(schedule)}")
        task = app.tasks[str(schedule[options["entry"]]["task"])]
        self.stdout.write(f"{options['entry']}: {task()!r}")
