"""Open GraphQL WebSockets per client address, bounded per process (LIVE_MAX_CONNECTIONS_PER_ADDRESS).

Each open socket costs the server its buffers and a ticker slot even before `connection_init`
(which LIVE_INIT_TIMEOUT_SECONDS bounds in time, not in number): without a bound, one client
opening sockets in a loop takes the process's memory. One socket past the limit is accepted and
closed at once with 4013 and a reason that names the limit: a close code a browser can read, where
refusing the handshake would show only "403". graphql-ws clients retry it with their backoff.

The address is the ASGI scope's client: the socket's peer, or, when that peer is a trusted proxy
(TRUSTED_PROXIES), the address it forwards in X-Forwarded-For (config/proxy_headers.py; a client
cannot name its own address). Counted per process, in memory; entries go when their
last socket closes, so the table is never larger than the open sockets.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.conf import settings

from apps.core.metrics import metrics_incr

logger = logging.getLogger(__name__)

# 1013 (Try Again Later) is the standard code, but autobahn (Daphne) sends only 1000 and 3000-4999
# (anything else goes out as 1011): 4013 mirrors it in the private range.
CLOSE_TOO_MANY_CONNECTIONS = 4013


def client_address(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


class Admission:
    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._refusing: set[str] = set()  # addresses at the limit that were refused since they got there

    def admit(self, address: str) -> bool:
        """Count a socket from `address`, unless that address already has the maximum open. A
        refusal is counted in `/metrics`, and logged once each time an address reaches the limit
        (a flood would otherwise write a line per attempt)."""
        if self._open[address] >= settings.LIVE_MAX_CONNECTIONS_PER_ADDRESS:
            metrics_incr("websockets_refused", reason="connections_per_address")
            if address not in self._refusing:
                self._refusing.add(address)
                logger.warning(
                    "refusing WebSockets from %s: %d open from there (LIVE_MAX_CONNECTIONS_PER_ADDRESS)",
                    address,
                    self._open[address],
                )
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] < settings.LIVE_MAX_CONNECTIONS_PER_ADDRESS:
            self._refusing.discard(address)
        if self._open[address] <= 0:
            del self._open[address]

    def open_from(self, address: str) -> int:
        return self._open.get(address, 0)


ADMISSION = Admission()


def refusal_reason() -> str:
    # A close reason is at most 123 bytes.
    return f"Too many connections from your address (the limit is {settings.LIVE_MAX_CONNECTIONS_PER_ADDRESS})"
