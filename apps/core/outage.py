"""One log line per outage state change, not one traceback per failed request.

While MariaDB is unreachable every request, readiness probe, subscription and hub check fails, each
with the same "Can't connect" or "Server has gone away"; logging each with its stack wrote about a
dozen tracebacks a second and buried everything else. Here a process keeps the database's state as
it last saw it: the first failure logs one WARNING ("database unavailable: ..."), the first new
connection after it logs "database available again after N s (M errors)", and every failure in
between is counted in `treeherder_dependency_errors_total{dependency="database"}` (the outages in
`treeherder_dependency_outages_total`), so nothing goes unseen.

Two ways in:
* call sites that log no exception (the hub's checks, a held subscription, the readiness probe)
  call `DATABASE.failed(exc)` when `database_unreachable(exc)`;
* the handler filter `CollapseOutageTracebacks` (config/settings/logging.py) turns any record whose
  exception is an unreachable database (Strawberry's error log, django.request, a `logger.exception`
  anywhere) into a `DATABASE.failed` call and drops the record.

Recovery is Django's `connection_created` signal (connected in apps.core.apps): a connection opened
after failures proves the database answers again. Other database errors (a deadlock, a bad query)
are not outages: they keep their tracebacks.
"""

from __future__ import annotations

import logging
import threading
import time

from apps.core.metrics import DEPENDENCY_ERRORS, DEPENDENCY_OUTAGES

logger = logging.getLogger("treeherder.outage")

# MySQL/MariaDB client and server error codes that mean "cannot talk to the server", as opposed to
# an error in what was asked: can't connect (2002, 2003), unknown host (2005), gone away (2006),
# lost during a query (2013, 2055), SSL handshake (2026), too many connections (1040), shutting
# down (1053), connection killed (1927), idle disconnect (4031).
UNREACHABLE_CODES = frozenset({1040, 1053, 1927, 2002, 2003, 2005, 2006, 2013, 2026, 2055, 4031})


def database_unreachable(exc: BaseException | None) -> bool:
    """Is `exc` (or an exception it was raised from) a lost or refused database connection?"""
    from django.db import InterfaceError, OperationalError

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, InterfaceError):
            return True  # "connection already closed" and the like: no server to talk to
        if isinstance(exc, OperationalError) and exc.args and exc.args[0] in UNREACHABLE_CODES:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class Outage:
    """A dependency's reachability as this process last saw it. Thread-safe."""

    def __init__(self, dependency: str) -> None:
        self.dependency = dependency
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.errors = 0  # failures since the outage began

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, exc: BaseException) -> None:
        """Count a failure; the first one of an outage is logged."""
        DEPENDENCY_ERRORS.labels(dependency=self.dependency).inc()
        with self._lock:
            self.errors += 1
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
            self.errors = 1
        DEPENDENCY_OUTAGES.labels(dependency=self.dependency).inc()
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        logger.warning(
            "%s unavailable: %s (further errors are counted in treeherder_dependency_errors_total, not logged, "
            "until it answers again)",
            self.dependency,
            detail[:300],
        )

    def recovered(self) -> None:
        """The dependency answered: log the end of the outage, if there was one."""
        if self.down_since is None:  # the common case: no lock, nothing to do
            return
        with self._lock:
            if self.down_since is None:
                return
            seconds, errors = time.monotonic() - self.down_since, self.errors
            self.down_since = None
        logger.warning("%s available again after %.1f s (%d errors while it was unavailable)",
                       self.dependency, seconds, errors)  # fmt: skip


DATABASE = Outage("database")
# Redis as the channel layer, as the hub and the relay see it: they call `failed` and `recovered`
# themselves (a receive or group_add that worked ends it).
CHANNEL_LAYER = Outage("channel_layer")


def database_connected(**_kwargs: object) -> None:
    """Django's connection_created receiver."""
    DATABASE.recovered()


class CollapseOutageTracebacks(logging.Filter):
    """Drops a record whose exception is an unreachable database, counting it in the outage instead
    (which logs the outage's first and last line). On the handler, so every logger's records pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and database_unreachable(exc):
            DATABASE.failed(exc)
            return False
        return True
