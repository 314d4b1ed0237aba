"""Running synchronous ORM reads from async resolvers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async


def db[**P, R](fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`await db(selector)(**kwargs)`: run a selector in the thread Django's ORM is safe in.

    Thread-sensitive, as Django's own async views: within an HTTP request that thread's connection
    is checked and recycled by Django's request signals. Code that runs outside a request (a
    subscription's events) must call `django.db.close_old_connections()` itself, once per event;
    doing it here, per call, cost a health-check round trip before every query (channels'
    database_sync_to_async does that, and also closes a test's transaction connection).
    """
    return sync_to_async(fn, thread_sensitive=True)
