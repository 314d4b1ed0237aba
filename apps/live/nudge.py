"""Wake the relay as soon as an event commits, instead of waiting for its next poll.

A Redis list is the doorbell: committing writers push to it, the relay blocks on it. It carries no
data (the outbox table does), so a lost nudge only costs one poll interval of latency.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

NUDGE_KEY = "th:live:nudge"


@cache
def _client() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1.0, socket_connect_timeout=1.0)


def available() -> bool:
    return _client() is not None


def ring() -> None:
    """Called after commit by `publish()`. Never raises: the relay polls anyway."""
    client = _client()
    if client is None:
        return
    try:
        with client.pipeline(transaction=False) as pipe:
            pipe.lpush(NUDGE_KEY, 1)
            pipe.ltrim(NUDGE_KEY, 0, 0)  # one pending nudge is as good as many
            pipe.execute()
    except redis.RedisError as exc:
        logger.debug("relay nudge failed (the relay will poll): %s", exc)


class _DoorbellState:
    """Whether the last wait reached Redis, so an outage is logged once when it starts and once when
    it ends, not on every poll."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down = False

    def changed_to(self, down: bool) -> bool:
        with self._lock:
            changed, self.down = self.down != down, down
            return changed


_state = _DoorbellState()


def wait(timeout: float) -> bool:
    """Block up to `timeout` seconds for a nudge. True if one came; False on timeout or no Redis.

    While Redis refuses connections BLPOP fails at once; without the sleep below the relay's idle
    loop would spin on it, burning a core and polling the outbox hundreds of times a second. Sleeping
    the whole timeout keeps the relay's polling rate (and so its delivery delay) the same as when the
    doorbell is silent: it still numbers committed events within about `timeout`.
    """
    client = _client()
    if client is None:
        return False
    try:
        rang = client.blpop([NUDGE_KEY], timeout=timeout) is not None
    except redis.RedisError as exc:
        if _state.changed_to(down=True):
            logger.warning("relay doorbell unavailable (%s); polling the outbox every %.1f s", exc, timeout)
        time.sleep(timeout)
        return False
    if _state.changed_to(down=False):
        logger.warning("relay doorbell reachable again")
    return rang
