"""List dead-lettered Pulse messages, or enqueue them again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.pulse import PulseEnvelope
from apps.dead_letters.models import DeadLetter
from apps.dead_letters.services import dead_letters_retry
from workers.tasks import NO_TIME_LIMITS_IN_MESSAGE, store_pulse_pushes, store_pulse_tasks


def _enqueue(kind: str, messages: list[PulseEnvelope]) -> None:
    task = store_pulse_tasks if kind == DeadLetter.Kind.TASKS else store_pulse_pushes
    task.apply_async(args=[messages], kwargs={"attempt": 0}, **NO_TIME_LIMITS_IN_MESSAGE)


class Command(BaseCommand):
    help = "List dead letters (default), or --retry them (all pending ones, or --id N ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--retry", action="store_true", help="enqueue them again for ingestion")
        parser.add_argument("--id", type=int, action="append", dest="ids", help="only this dead letter (repeatable)")
        parser.add_argument("--kind", choices=[k.value for k in DeadLetter.Kind])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry"]:
            count = dead_letters_retry(enqueue=_enqueue, ids=options["ids"], kind=options["kind"])
            self.stdout.write(f"{count} dead letter(s) enqueued again")
            return
        letters = DeadLetter.objects.filter(retried_at__isnull=True)
        if options["kind"]:
            letters = letters.filter(kind=options["kind"])
        for letter in letters:
            self.stdout.write(
                f"{letter.id}\t{letter.kind}\t{letter.reason}\t{letter.attempts}\t{letter.created:%Y-%m-%d %H:%M:%S}\t"
                f"{letter.message.get('exchange')}\t{letter.detail[:120]}"
            )
