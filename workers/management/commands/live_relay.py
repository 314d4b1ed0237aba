"""Run the live relay: number committed events and send them to the channel layer."""

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand

from apps.live.relay import Relay


class Command(BaseCommand):
    help = "Number committed live events (the resume cursors) and send them to the channel layer."

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await Relay().run(stop)
