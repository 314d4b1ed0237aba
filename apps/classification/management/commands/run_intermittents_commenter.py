"""The intermittents commenter by hand (the scheduler runs it daily in `auto` mode)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.classification.commenter import intermittents_comment


class Command(BaseCommand):
    help = "Comment failure counts on intermittent bugs (posts only with BUGZILLA_API_KEY; else prints)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-m", "--mode", choices=["auto", "daily", "weekly"], default="auto", help="auto: weekly on Mondays"
        )
        parser.add_argument("--dry-run", action="store_true", help="print the comments, post nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        result = intermittents_comment(mode=options["mode"], dry_run=options["dry_run"], output=self.stdout.write)
        self.stdout.write(
            f"{'weekly' if result.weekly else 'daily'}: {len(result.changes)} comments, "
            f"{result.posted} posted, {result.printed} printed"
        )
