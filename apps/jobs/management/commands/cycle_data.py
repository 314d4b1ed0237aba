"""Delete jobs older than their repository's retention, then unused reference data (by hand; the
scheduler runs it daily). Ctrl-C or SIGTERM stops between chunks; running it again goes on."""

import datetime
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.jobs.services.cycling import Interrupted, cycle_jobs, prune_reference_data


class Command(BaseCommand):
    help = "Delete old jobs and their failure data (retention per repository), then unused reference data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="retention in days for every repository (default: per repository)")
        parser.add_argument("--repository", action="append", help="only this repository (repeatable)")
        parser.add_argument("--chunk-size", type=int, help="jobs per transaction (CYCLE_DATA_CHUNK_SIZE, 100)")
        parser.add_argument("--sleep-time", type=float, help="seconds between chunks (CYCLE_DATA_SLEEP_SECONDS)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
        parser.add_argument("--skip-refdata", action="store_true", help="do not prune unused reference data")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = {"asked": False}

        def ask_stop(signum: int, frame: Any) -> None:
            stop["asked"] = True

        previous = {sig: signal.signal(sig, ask_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            cycle_jobs(
                now=datetime.datetime.now(tz=datetime.UTC),
                repositories=options["repository"],
                days=options["days"],
                chunk_size=options["chunk_size"],
                sleep=options["sleep_time"],
                dry_run=options["dry_run"],
                report=self.stdout.write,
                should_stop=lambda: stop["asked"],
            )
        except Interrupted:
            self.stderr.write("cycle_data stopped; run it again to go on")
            raise SystemExit(130) from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not options["skip_refdata"]:
            prune_reference_data(dry_run=options["dry_run"], report=self.stdout.write)
