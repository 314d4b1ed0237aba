"""The live read pool: the threads every database read of live delivery runs in.

Live reads (the hub's and streams' outbox reads, and the reads of subscription executions, routed
here by `schema.db`) used to run in two places: the outbox reads in the event loop's default
executor, and the executions' field reads through `sync_to_async(thread_sensitive=True)`, which is
ONE thread for the whole process. With many distinct subscription documents every execution's read
queued behind every other's (the soak, bench/README.md), while Daphne's CPU sat idle.

So they run here: a `ThreadPoolExecutor` of `LIVE_DB_THREADS` threads. Django's connections are per
thread, so each thread holds at most one MariaDB connection and a Daphne process at most
`LIVE_DB_THREADS` live connections, plus the one thread-sensitive thread HTTP requests use
(docs/configuration.md; `tests/apps/live/test_reads.py` counts them).

Nothing outside an HTTP request recycles those connections (Django does it on request signals), so
each thread does it itself: `close_old_connections()` at most once a second, and at once after a
query failed in it (`errors_occurred`: the server went away, the proxy cut it). Once a second and
not before every query because with CONN_HEALTH_CHECKS each call costs a ping on the next query.

Every query a live read makes is counted (`treeherder_live_db_queries_total` at /metrics), which
is how bench/soak reports queries per outbox event.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

from apps.core.metrics import LIVE_DB_QUERIES

# How often each pool thread checks its connection (age, health) when nothing failed.
CHECK_EVERY_SECONDS = 1.0

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_thread_state = threading.local()


def pool_size() -> int:
    return max(1, int(getattr(settings, "LIVE_DB_THREADS", 4)))


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=pool_size(), thread_name_prefix="live-db")
    return _pool


def _count_query(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    LIVE_DB_QUERIES.inc()
    return execute(sql, params, many, context)


def _run_in_thread[R](fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]) -> R:
    now = time.monotonic()
    if connection.errors_occurred or now - getattr(_thread_state, "checked_at", 0.0) >= CHECK_EVERY_SECONDS:
        _thread_state.checked_at = now
        close_old_connections()
    with connection.execute_wrapper(_count_query):
        return fn(*args, **kwargs)


async def run_live[R](fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> R:
    """`await run_live(selector, ...)`: run a synchronous ORM call in the live read pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), functools.partial(_run_in_thread, fn, args, kwargs))


def shutdown() -> None:
    """Stop the pool's threads (after their current reads); the next `run_live` starts a new pool,
    sized by the setting then (tests change LIVE_DB_THREADS)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)


__all__ = ["pool_size", "run_live", "shutdown"]
