"""Flow control and keepalive for one connection, as decisions without a socket.

Bounded memory for a client that stops reading: ASGI gives no backpressure on send, so the server
counts what it sent against the client's pongs. It pings after every PING_EVERY_BYTES it sends and
every LIVE_KEEPALIVE_SECONDS of quiet; each pong acknowledges everything sent before its ping. More
than LIVE_MAX_UNACKED_BYTES unacknowledged closes the socket (4002), as does a ping unanswered for
LIVE_PONG_TIMEOUT_SECONDS (4001), or no connection_init within LIVE_INIT_TIMEOUT_SECONDS (4408). The
client reconnects and resumes with the last cursor it received, and the replay fills in what it
missed.

`FlowControl` only counts and decides; the connection sends, pings and closes. Times are
`time.monotonic()` seconds, passed in, so tests drive it with numbers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Any

from django.conf import settings

PING_EVERY_BYTES = 64 * 1024

CLOSE_KEEPALIVE_TIMEOUT = 4001
CLOSE_SLOW_CONSUMER = 4002
CLOSE_INIT_TIMEOUT = 4408


class Decision(Enum):
    NOTHING = "nothing"
    PING = "ping"
    CLOSE_SLOW_CONSUMER = "slow consumer"
    CLOSE_NO_PONG = "no pong"
    CLOSE_NO_INIT = "no connection_init"


@dataclass(frozen=True)
class Limits:
    max_unacked_bytes: int
    init_timeout: float
    pong_timeout: float
    keepalive: float
    ping_every_bytes: int = PING_EVERY_BYTES

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_unacked_bytes=settings.LIVE_MAX_UNACKED_BYTES,
            init_timeout=settings.LIVE_INIT_TIMEOUT_SECONDS,
            pong_timeout=settings.LIVE_PONG_TIMEOUT_SECONDS,
            keepalive=settings.LIVE_KEEPALIVE_SECONDS,
        )


@dataclass(frozen=True)
class _Ping:
    number: int
    sent_before: int  # bytes sent before the ping: what its pong acknowledges
    at: float


class FlowControl:
    def __init__(self, limits: Limits, *, now: float) -> None:
        self.limits = limits
        self.opened_at = now
        self.last_sent_at = now
        self.sent_bytes = 0
        self.acked_bytes = 0
        self._pings: deque[_Ping] = deque()
        self._ping_number = 0

    @property
    def unacked_bytes(self) -> int:
        return self.sent_bytes - self.acked_bytes

    def sent(self, size: int, *, now: float) -> None:
        self.sent_bytes += size
        self.last_sent_at = now

    def ping_sent(self, *, now: float) -> int:
        """Record a ping about to be sent (its own bytes are not in its mark); returns its number."""
        self._ping_number += 1
        self._pings.append(_Ping(self._ping_number, self.sent_bytes, now))
        return self._ping_number

    def on_pong(self, payload: Any) -> None:
        """A pong acknowledges everything sent before its ping: the ping it names in an echoed
        payload ({"n": number}), or else (gql answers without one) the oldest ping still open."""
        number = payload.get("n") if isinstance(payload, dict) else None
        while self._pings:
            ping = self._pings.popleft()
            self.acked_bytes = ping.sent_before
            if not isinstance(number, int) or ping.number >= number:
                return

    def after_send(self) -> Decision:
        """After a result was sent: close a slow consumer, or ping to learn what it has read."""
        if self.unacked_bytes > self.limits.max_unacked_bytes:
            return Decision.CLOSE_SLOW_CONSUMER
        last_mark = self._pings[-1].sent_before if self._pings else self.acked_bytes
        if self.sent_bytes - last_mark >= self.limits.ping_every_bytes:
            return Decision.PING
        return Decision.NOTHING

    def on_tick(self, now: float, *, acknowledged: bool) -> Decision:
        """About once a second: the timeouts, and a keepalive ping after a quiet spell."""
        if not acknowledged and now - self.opened_at > self.limits.init_timeout:
            return Decision.CLOSE_NO_INIT
        if self._pings and now - self._pings[0].at > self.limits.pong_timeout:
            return Decision.CLOSE_NO_PONG
        if acknowledged and now - self.last_sent_at > self.limits.keepalive:
            return Decision.PING
        return Decision.NOTHING

    def oldest_open_ping_age(self, now: float) -> float:
        return now - self._pings[0].at if self._pings else 0.0
