"""Health checks of the services the system depends on: database, channel layer, broker.

Each check has a short timeout and reports {"ok", "ms", "detail"}; none raises.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

CHECK_TIMEOUT_SECONDS = 3.0

CheckResult = dict[str, Any]


def _database_ping() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _database_ping_closing() -> str:
    # Health checks run in a thread of their own; close the connection so it never leaks.
    try:
        return _database_ping()
    finally:
        connection.close()


async def check_database() -> str:
    return await sync_to_async(_database_ping_closing, thread_sensitive=False)()


async def check_channel_layer() -> str:
    """Does the layer answer? Redis layers: a PING to every host through the layer's own pools.

    Not a send-and-receive round trip: channels-redis serves one `receive()` per process at a time,
    and the live hub holds it for as long as the process serves subscriptions, so a check that
    waited on a receive timed out on every live process (and a load balancer would pull them all).
    """
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    ring_size = getattr(layer, "ring_size", None)
    if ring_size is not None and hasattr(layer, "connection"):
        for index in range(ring_size):
            if not await layer.connection(index).ping():
                raise RuntimeError(f"channel layer host {index} did not answer PING")
        return type(layer).__name__
    # The in-memory layer (embedded mode) has no such lock: a round trip proves it works.
    channel = await layer.new_channel(prefix="healthz")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")
    return type(layer).__name__


def _broker_ping() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (embedded)"
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=int(CHECK_TIMEOUT_SECONDS))
        return f"{conn.transport_cls}"


async def check_broker() -> str:
    return await sync_to_async(_broker_ping, thread_sensitive=False)()


CHECKS: dict[str, Callable[[], Awaitable[str]]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
}


async def _run(check: Callable[[], Awaitable[str]]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_SECONDS)
        ok = True
    except Exception as exc:  # noqa: BLE001 - a health check reports every failure, whatever it is
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        ok = False
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), "detail": detail}


async def health_report() -> dict[str, Any]:
    """Run every check concurrently. `ok` is true only when all are."""
    names = list(CHECKS)
    results = await asyncio.gather(*(_run(CHECKS[name]) for name in names))
    report: dict[str, Any] = dict(zip(names, results, strict=True))
    report["ok"] = all(result["ok"] for result in results)
    report["embedded"] = settings.EMBEDDED
    return report
