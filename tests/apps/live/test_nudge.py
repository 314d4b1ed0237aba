"""The relay's Redis doorbell while Redis is down: it backs off instead of spinning (issue 15, defect 3)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from apps.live import nudge
from tests.support.processes import free_port


@pytest.fixture
def dead_redis(settings: Any) -> Iterator[Any]:
    """REDIS_URL pointing at a port nothing listens on: every connection is refused at once."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    nudge._client.cache_clear()
    nudge._state.changed_to(down=False)
    yield settings
    nudge._client.cache_clear()
    nudge._state.changed_to(down=False)


def test_wait_backs_off_for_the_whole_timeout_when_redis_refuses(dead_redis: Any) -> None:
    # A lower bound only: a slow machine makes the wait longer, never shorter.
    started = time.monotonic()
    for _ in range(3):
        assert nudge.wait(0.3) is False
    assert time.monotonic() - started >= 0.9


def test_an_outage_is_logged_once_not_on_every_poll(dead_redis: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="apps.live.nudge"):
        for _ in range(5):
            nudge.wait(0.05)
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["relay doorbell unavailable"]


def test_ring_never_raises_while_redis_is_down(dead_redis: Any) -> None:
    nudge.ring()
