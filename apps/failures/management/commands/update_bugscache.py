"""`manage.py update_bugscache`: mirror Bugzilla's intermittent-failure bugs (hourly in production)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.failures.services.bugzilla import bugscache_update


class Command(BaseCommand):
    help = "Fetch intermittent-failure bugs changed since the last run from BUGZILLA_URL into Bugscache."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-pages", type=int, default=20, help="pages of 500 changed bugs to read (bound)")

    def handle(self, *args: Any, **options: Any) -> None:
        result = bugscache_update(max_pages=options["max_pages"], progress=self.stdout.write)
        self.stdout.write(
            f"done: {result.changed} changed, {result.fetched_by_id} fetched by id in {result.rounds} round(s), "
            f"{result.duplicates_resolved} duplicates resolved, {result.expired} expired"
        )
        for error in result.errors:
            self.stderr.write(f"error: {error}")
