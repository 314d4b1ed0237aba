"""Health: liveness, readiness and a detailed status page (docs/operations.md, "Health").

* **Liveness** (`/healthz/live`): the process answers. No dependency is checked: an orchestrator
  restarts a process that fails it, and restarting never fixes a database outage.
* **Readiness** (`/healthz/ready`, and `/healthz`): what a web process needs to serve, which is the
  database (reads, and the hub's fallback when Redis is down). A load balancer takes a web process
  out of rotation when it fails; a RabbitMQ or Redis outage does not pull every web process.
* **Status** (`/healthz/status`): every dependency (database, channel layer, cache, broker), the
  relay's lag, the newest ingested change's age, and each scheduled job's last run. Informational:
  200 unless the process is not ready.

Each check has a short timeout and reports {"ok", "ms", "detail"}; none raises. The broker check
reuses a connection of kombu's pool for the broker URL (kept open between probes), so probing often never
opens a broker connection per probe.
"""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min
from kombu import Connection, pools

from apps.core.outage import DATABASE, database_unreachable

CHECK_TIMEOUT_SECONDS = 3.0
LAST_RUN_KEY = "ops:last_run:{name}"  # written by workers/maintenance.py after each scheduled run

CheckResult = dict[str, Any]


def _closing(fn: Callable[[], Any]) -> Callable[[], Any]:
    # Checks run in a thread of their own; close its connection so it never leaks.
    def run() -> Any:
        try:
            return fn()
        finally:
            connection.close()

    return run


def _database_ping() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


async def check_database() -> str:
    try:
        return str(await sync_to_async(_closing(_database_ping), thread_sensitive=False)())
    except Exception as exc:
        if database_unreachable(exc):
            DATABASE.failed(exc)  # counted; logged once per outage
        raise


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


def _cache_ping() -> str:
    token = uuid.uuid4().hex
    cache.set("ops:healthz", token, timeout=30)
    if cache.get("ops:healthz") != token:
        raise RuntimeError("cache returned a different value")
    return str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]


async def check_cache() -> str:
    return str(await sync_to_async(_cache_ping, thread_sensitive=False)())


def _broker_pool() -> Any:
    return pools.connections[Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_SECONDS)]


def _broker_ping() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (embedded)"
    # A pooled connection (kombu's pool for this URL): opened on the first probe, reused after.
    conn: Any
    with _broker_pool().acquire(block=True, timeout=CHECK_TIMEOUT_SECONDS) as conn:
        try:
            conn.ensure_connection(max_retries=1, timeout=int(CHECK_TIMEOUT_SECONDS))
            # A round trip to the broker. ensure_connection() alone returns at once on a pooled
            # connection that still believes it is connected (py-amqp notices a dead socket only
            # when it reads, and these connections send no heartbeats), so without this the status
            # page said "broker ok" through a whole RabbitMQ outage (tests/reliability/test_faults.py).
            conn.default_channel.exchange_declare("amq.direct", "direct", passive=True)
        except Exception:
            conn.collect()  # forget the dead socket: the next probe opens a new connection
            raise
        return f"{conn.transport_cls}"


async def check_broker() -> str:
    return await sync_to_async(_broker_ping, thread_sensitive=False)()


READINESS: dict[str, Callable[[], Awaitable[str]]] = {"database": check_database}
CHECKS: dict[str, Callable[[], Awaitable[str]]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "cache": check_cache,
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


async def _run_all(checks: dict[str, Callable[[], Awaitable[str]]]) -> dict[str, Any]:
    names = list(checks)
    results = await asyncio.gather(*(_run(checks[name]) for name in names))
    report: dict[str, Any] = dict(zip(names, results, strict=True))
    report["ok"] = all(result["ok"] for result in results)
    return report


async def readiness_report() -> dict[str, Any]:
    """What this web process needs to serve: the database. `ok` is true when it answers."""
    report = await _run_all(READINESS)
    report["embedded"] = settings.EMBEDDED
    return report


def _age(now: datetime.datetime, then: datetime.datetime | None) -> float | None:
    return None if then is None else round((now - then).total_seconds(), 1)


def _pipeline_state() -> dict[str, Any]:
    """The relay's lag (committed events not yet numbered) and the newest ingested change."""
    from apps.jobs.models import Job
    from apps.live.models import Event
    from apps.pushes.models import Push

    now = datetime.datetime.now(tz=datetime.UTC)
    waiting = Event.objects.filter(seq__isnull=True).aggregate(count=Count("id"), oldest=Min("created"))
    newest_event = Event.objects.aggregate(newest=Max("created"))["newest"]
    return {
        "relay": {
            "unrelayed_events": waiting["count"],
            "oldest_unrelayed_age_seconds": _age(now, waiting["oldest"]),
            "newest_event_age_seconds": _age(now, newest_event),
        },
        "ingestion": {
            "newest_job_change_age_seconds": _age(now, Job.objects.aggregate(t=Max("last_modified"))["t"]),
            # last_modified: indexed (a push's own `time` is not, on its own).
            "newest_push_change_age_seconds": _age(now, Push.objects.aggregate(t=Max("last_modified"))["t"]),
        },
    }


def _scheduler_state() -> dict[str, Any]:
    now = time.time()
    jobs = {}
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        name = entry["task"]
        last = cache.get(LAST_RUN_KEY.format(name=name))
        jobs[name] = {
            "last_run": last,
            "last_run_age_seconds": None if not last else round(now - float(last["finished"]), 1),
        }
    return {"jobs": jobs}


async def status_report() -> dict[str, Any]:
    """Every dependency plus the pipeline's and the scheduler's state (each part fails on its own)."""
    report = await _run_all(CHECKS)
    report["embedded"] = settings.EMBEDDED
    for name, fn in (("pipeline", _pipeline_state), ("scheduler", _scheduler_state)):
        try:
            report[name] = await asyncio.wait_for(
                sync_to_async(_closing(fn), thread_sensitive=False)(), timeout=CHECK_TIMEOUT_SECONDS
            )
        except Exception as exc:  # noqa: BLE001 - the status page shows what it could not read
            report[name] = {"error": f"{type(exc).__name__}: {exc}"}
    report["ready"] = report["database"]["ok"]
    return report
