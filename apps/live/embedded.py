"""Embedded mode runs the relay inside the web process: the in-memory channel layer exists only there."""

from __future__ import annotations

import asyncio
import logging

from apps.live.relay import Relay

logger = logging.getLogger(__name__)

_started: set[asyncio.AbstractEventLoop] = set()
_tasks: set[asyncio.Task[None]] = set()


def ensure_relay_running() -> None:
    loop = asyncio.get_running_loop()
    if loop in _started:
        return
    _started.add(loop)
    task = loop.create_task(Relay().run(asyncio.Event()), name="embedded live relay")
    _tasks.add(task)
    logger.info("embedded mode: live relay runs in this process")
