"""Ingestion counters, shared by every process through Redis and shown at /metrics.

Counters are named `<name>` plus optional labels (`rejected{reason="unknown_repository"}`). Writes are
batched: a Celery task counts into a `Counters` object and flushes once, in one Redis pipeline.
A Redis outage never fails ingestion: the flush logs and drops the increments (counters are
observability, the stored rows are the truth). Embedded mode (no REDIS_URL) counts in process.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_HASH_KEY = "th:ingest:metrics"
_local: Counter[str] = Counter()
_local_lock = threading.Lock()
_client: tuple[str, redis.Redis] | None = None  # (its URL, the client)


def metric_key(name: str, **labels: str) -> str:
    if not labels:
        return name
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def _redis() -> redis.Redis | None:
    global _client
    url = getattr(settings, "METRICS_REDIS_URL", "")
    if not url:
        return None
    if _client is None or _client[0] != url:
        _client = (url, redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))
    return _client[1]


class Counters:
    """Increments collected in memory, written with `flush()`."""

    def __init__(self) -> None:
        self.values: Counter[str] = Counter()

    def incr(self, name: str, amount: int = 1, **labels: str) -> None:
        if amount:
            self.values[metric_key(name, **labels)] += amount

    def flush(self) -> None:
        if not self.values:
            return
        values, self.values = self.values, Counter()
        metrics_add(values)


def metrics_add(values: Counter[str] | dict[str, int]) -> None:
    client = _redis()
    if client is None:
        with _local_lock:
            _local.update(values)
        return
    try:
        pipe = client.pipeline(transaction=False)
        for key, amount in values.items():
            pipe.hincrby(_HASH_KEY, key, amount)
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("metrics not recorded (Redis unavailable: %s): %s", exc, dict(values))


def metrics_incr(name: str, amount: int = 1, **labels: str) -> None:
    metrics_add({metric_key(name, **labels): amount})


def metrics_snapshot() -> dict[str, int]:
    """Every counter. Raises redis.RedisError while Redis is unavailable."""
    client = _redis()
    if client is None:
        with _local_lock:
            return dict(sorted(_local.items()))
    raw = client.hgetall(_HASH_KEY)
    return dict(sorted((key.decode(), int(value)) for key, value in raw.items()))  # type: ignore[union-attr]


def metrics_reset() -> None:
    """Clear every counter (tests, and operators after reading them)."""
    client = _redis()
    with _local_lock:
        _local.clear()
    if client is not None:
        client.delete(_HASH_KEY)


def metrics_prometheus_text() -> str:
    lines = []
    for key, value in metrics_snapshot().items():
        lines.append(f"treeherder_{key} {value}")
    return "\n".join(lines) + "\n"
