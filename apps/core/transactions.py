"""Running a write transaction again when MariaDB aborts it for a lock conflict.

InnoDB resolves a deadlock (error 1213) by rolling back one of the transactions in the cycle, and
gives up on a lock it waited `innodb_lock_wait_timeout` for (1205). Neither says anything is wrong
with the request: the same transaction, run again a moment later, normally succeeds. MariaDB's own
advice is to retry the whole transaction, which only the code that opened it can do (the aborted
one is gone, its savepoints with it), so `retry_conflicts` wraps a service function whose body is
the transaction, and retries it only when it is the outermost one.

The retries are few and short (DB_CONFLICT_ATTEMPTS, jittered backoff from DB_CONFLICT_BACKOFF_MS
doubling), each logged as one WARNING and counted in `treeherder_db_conflict_retries_total`; when
they run out the caller gets `TransientConflict`, which the API reports as `TRY_AGAIN` (a clear
"retry later", not a masked INTERNAL). Retrying is the cure for the rare conflict; conflicts that
are not rare mean the lock order is wrong (see apps/classification/services.py, apps/jobs/services/store.py:
both lock job rows in id order).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError, connection

from apps.core.metrics import metrics_incr

logger = logging.getLogger(__name__)

DEADLOCK = 1213
LOCK_WAIT_TIMEOUT = 1205
CONFLICT_CODES = {DEADLOCK: "deadlock", LOCK_WAIT_TIMEOUT: "lock wait timeout"}


class TransientConflict(Exception):
    """The transaction kept losing lock conflicts; nothing was written. The client may retry."""

    def __init__(self, what: str, attempts: int, reason: str) -> None:
        super().__init__(
            f"{what}: the database aborted it for a lock conflict ({reason}) in each of {attempts} attempts; "
            "nothing was written. Try again."
        )
        self.what = what
        self.attempts = attempts
        self.reason = reason


def conflict_code(exc: BaseException | None) -> int | None:
    """1213 or 1205 when `exc` (or what it was raised from) is a deadlock or a lock wait timeout."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError) and exc.args and exc.args[0] in CONFLICT_CODES:
            return int(exc.args[0])
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def backoff_seconds(attempt: int) -> float:
    """Full jitter over base x 2^(attempt-1): concurrent losers of the same conflict spread out."""
    base = settings.DB_CONFLICT_BACKOFF_MS / 1000.0
    return random.uniform(0, base * 2 ** (attempt - 1))  # noqa: S311 - jitter, not a secret


def retry_conflicts[**P, R](what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function that opens (and commits) one transaction: run it again on a deadlock or a
    lock wait timeout, up to DB_CONFLICT_ATTEMPTS times in all, then raise TransientConflict.

    Called inside a transaction that is already open (another service's, a test's), it runs once:
    InnoDB has rolled back that whole outer transaction, which only its owner can start again."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            if connection.in_atomic_block:
                return fn(*args, **kwargs)
            attempts = max(1, settings.DB_CONFLICT_ATTEMPTS)
            for attempt in range(1, attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except OperationalError as exc:
                    code = conflict_code(exc)
                    if code is None:
                        raise
                    reason = CONFLICT_CODES[code]
                    if attempt == attempts:
                        metrics_incr("db_conflict_failures", what=what)
                        logger.warning("%s: %s (MariaDB %d) in each of %d attempts; giving up", what, reason, code,
                                       attempts)  # fmt: skip
                        raise TransientConflict(what, attempts, reason) from exc
                    delay = backoff_seconds(attempt)
                    metrics_incr("db_conflict_retries", what=what)
                    logger.warning("%s: %s (MariaDB %d); running the transaction again (attempt %d of %d) in %.0f ms",
                                   what, reason, code, attempt + 1, attempts, delay * 1000)  # fmt: skip
                    time.sleep(delay)
            raise AssertionError("unreachable")

        return run

    return decorate
