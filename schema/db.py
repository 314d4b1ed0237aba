"""Running synchronous ORM reads from async resolvers."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async

from apps.live.reads import run_live

# Set (per asyncio task: context variables are copied into each task) while a live subscription's
# events are executed: see `use_live_reads`.
_live_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("live_reads", default=False)


def use_live_reads() -> None:
    """From now on, in this task, `db()` runs reads in the live read pool (apps/live/reads.py).

    A live subscription's executions run outside any HTTP request, in tasks of their own (one per
    shared execution), and there are many of them at once: the thread-sensitive thread is one
    thread for the whole process, so every execution's reads queued behind every other's. The pool
    runs them side by side, each thread with its own connection and its own connection upkeep, and
    bounded, so the connections a process holds are too."""
    _live_reads.set(True)


def db[**P, R](fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`await db(selector)(**kwargs)`: run a selector in the thread Django's ORM is safe in.

    Thread-sensitive, as Django's own async views: within an HTTP request that thread's connection
    is checked and recycled by Django's request signals. Live subscriptions' executions (after
    `use_live_reads()`) run in the live read pool instead, which checks its threads' connections
    itself. (Not per call: channels' database_sync_to_async does that, which costs a health-check
    round trip before every query, and also closes a test's transaction connection.)
    """
    if _live_reads.get():

        async def in_live_pool(*args: P.args, **kwargs: P.kwargs) -> R:
            return await run_live(fn, *args, **kwargs)

        return in_live_pool
    return sync_to_async(fn, thread_sensitive=True)
