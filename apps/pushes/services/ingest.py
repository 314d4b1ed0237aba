"""One Pulse push message in, one stored push out (or a logged, counted rejection)."""

from __future__ import annotations

import logging
from typing import Any

from apps.core.http import OutboundError
from apps.core.metrics import Counters
from apps.core.pulse import Rejected, clipped
from apps.pushes.services.loaders import LOADERS
from apps.pushes.services.store import PushStoreResult, push_store

logger = logging.getLogger(__name__)


def pulse_push_ingest(*, body: Any, exchange: str, counters: Counters | None = None) -> PushStoreResult | None:
    """Load and store the push a message announces. Returns None when the message is rejected.

    Raises `apps.core.http.OutboundError` for fetch failures (the caller retries the retryable ones).
    """
    counters = counters or Counters()
    counters.incr("pulse_push_messages", exchange=exchange.rsplit("/", 1)[-1])
    loader = LOADERS.get(exchange)
    try:
        if loader is None:
            raise Rejected("unknown_exchange", f"not a push exchange: {exchange!r}")
        if not isinstance(body, dict):
            raise Rejected("invalid_message", f"push message body is a {type(body).__name__}, not an object")
        repository, data = loader(body)
    except Rejected as exc:
        logger.warning("push message rejected (%s): %s", exc.reason, exc.detail)
        counters.incr("pulse_push_rejected", reason=exc.reason)
        return None
    except OutboundError as exc:
        if exc.retryable:
            raise
        logger.warning("push message rejected (fetch_failed): %s", clipped(str(exc)))
        counters.incr("pulse_push_rejected", reason="fetch_failed")
        return None
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        # Anything malformed that slipped past the field checks (a commit without an author...).
        logger.warning("push message rejected (invalid_message): %s: %s", type(exc).__name__, clipped(str(exc)))
        counters.incr("pulse_push_rejected", reason="invalid_message")
        return None
    result = push_store(repository=repository, data=data)
    counters.incr("pushes_stored" if result.changed else "pushes_unchanged")
    logger.info("push %s %s: %s", repository.name, data.revision, ",".join(result.changed) or "unchanged")
    return result
