"""Serve the sample Taskcluster queue, hg pushlog and GitHub API responses over local HTTP."""

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from devtools.sample_services import serve

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Answer as Taskcluster/hg/GitHub do, from sample_data/ and the synthetic stream (dev and tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)

    def handle(self, *args: Any, **options: Any) -> None:
        server = serve(options["host"], options["port"])
        logger.warning("sample services at %s (Taskcluster queue, hg json-pushes, GitHub API)", server.url)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        server.shutdown()
