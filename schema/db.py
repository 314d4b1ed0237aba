"""Running synchronous ORM reads from async resolvers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection


def _with_usable_connection[**P, R](fn: Callable[P, R]) -> Callable[P, R]:
    # channels' database_sync_to_async does this unconditionally, which closes the connection of a
    # test's transaction; outside a transaction it drops connections that died or aged out
    # (subscriptions run outside any request, so Django's per-request cleanup never happens there).
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if not connection.in_atomic_block:
            close_old_connections()
        return fn(*args, **kwargs)

    return call


def db[**P, R](fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`await db(selector)(**kwargs)`: run a selector in the thread Django's ORM is safe in."""
    return sync_to_async(_with_usable_connection(fn), thread_sensitive=True)
