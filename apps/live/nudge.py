"""Wake the relay as soon as an event commits, instead of waiting for its next poll.

A Redis list is the doorbell: committing writers push to it, the relay blocks on it. It carries no
data (the outbox table does), so a lost nudge only costs one poll interval of latency.
"""

from __future__ import annotations

import logging
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


def wait(timeout: float) -> bool:
    """Block up to `timeout` seconds for a nudge. True if one came; False on timeout or no Redis."""
    client = _client()
    if client is None:
        return False
    try:
        return client.blpop([NUDGE_KEY], timeout=timeout) is not None
    except redis.RedisError:
        return False
