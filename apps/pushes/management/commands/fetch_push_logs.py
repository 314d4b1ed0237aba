"""The hg pushlog failsafe by hand (the scheduler runs it every 5 minutes)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.pushes.services.pushlog import pushlogs_fetch


class Command(BaseCommand):
    help = "Store hg pushes whose Pulse message never came, from each active hg repository's pushlog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repository", action="append", help="only this repository (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        result = pushlogs_fetch(repositories=options["repository"])
        for push in result.recovered:
            self.stdout.write(f"recovered {push}")
        for error in result.errors:
            self.stderr.write(f"error: {error}")
        self.stdout.write(
            f"{result.repositories} repositories, {result.pushes_seen} pushes read, {len(result.recovered)} recovered"
        )
