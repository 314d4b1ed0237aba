"""Publish Pulse traffic: the sample messages and/or a synthetic stream of pushes and tasks."""

import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from devtools.replay import InProcessSink, PulsePublisher, Sink, replay_samples, replay_synthetic

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Publish the sample Pulse messages (--samples) and/or a synthetic stream (--synthetic) to the Pulse "
        "exchanges on PULSE_URL, or straight to the ingestion services (--in-process, embedded mode)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", action="store_true", help="the 91 sample task messages and their pushes")
        parser.add_argument("--synthetic", action="store_true", help="a synthetic stream of pushes and tasks")
        parser.add_argument("--pushes", type=int, default=None, help="synthetic pushes (default: forever)")
        parser.add_argument("--tasks", type=int, default=30, help="tasks per synthetic push")
        parser.add_argument("--push-interval", type=float, default=20.0, help="seconds between synthetic pushes")
        parser.add_argument("--step-interval", type=float, default=8.0, help="seconds between a task's states")
        parser.add_argument("--seed", type=int, default=None, help="synthetic stream id (default: now)")
        parser.add_argument("--in-process", action="store_true", help="call the services instead of publishing")
        parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before starting")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = {"flag": False}

        def stop(*_: Any) -> None:
            stopping["flag"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        time.sleep(options["delay"])
        in_process = options["in_process"] or not settings.PULSE_URL
        sink: Sink = InProcessSink() if in_process else PulsePublisher()
        logger.warning(
            "replay_pulse: %s",
            "in process (embedded)" if in_process else f"publishing to {settings.PULSE_URL.split('@')[-1]}",
        )
        sent = 0
        try:
            if options["samples"]:
                sent += replay_samples(sink)
            if options["synthetic"]:
                seed = options["seed"] or int(time.time())
                sent += replay_synthetic(
                    sink,
                    seed=seed,
                    pushes=options["pushes"],
                    tasks=options["tasks"],
                    push_interval=options["push_interval"],
                    step_interval=options["step_interval"],
                    stop=lambda: stopping["flag"],
                )
        finally:
            sink.close()
        self.stdout.write(f"replay_pulse: {sent} message(s) sent")
