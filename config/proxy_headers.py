"""The client's address and scheme from X-Forwarded-For/-Proto, believed only from trusted proxies.

Daphne's `--proxy-headers` (which the Procfile used to pass) believes the headers from anyone, and
takes the *leftmost* X-Forwarded-For entry, the one a client writes itself even behind a proxy that
appends: with it any client could claim any address and dodge the per-address WebSocket limit
(server/ws/admission.py, LIVE_MAX_CONNECTIONS_PER_ADDRESS), and with SECURE_HTTPS claim https.
Here the headers count only when the socket's peer is in TRUSTED_PROXIES (addresses or networks;
empty, the default, means no proxy: the peer is the client). From a trusted peer the client is the
rightmost X-Forwarded-For entry that is not itself a trusted proxy (each proxy appends the address
it saw, so entries left of the first untrusted one are whatever that client wrote). From any other
peer the forwarded headers are removed from the scope, so nothing downstream (Django's
SECURE_PROXY_SSL_HEADER reads X-Forwarded-Proto) can be fooled by them.

Why our own: Daphne has no trusted-hosts option, and the library that has one, uvicorn's
ProxyHeadersMiddleware, would bring uvicorn (and its dependencies) into a Daphne deployment for one
class; this is the same rule in a few lines, over the same ASGI scope.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_HEADERS = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-port", b"x-forwarded-host"})
SECURE_SCHEMES = {"http": "https", "ws": "wss"}


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """`127.0.0.1`, `10.0.0.0/8`, `::1` -> networks. Raises ValueError naming a bad entry."""
    networks = []
    for entry in filter(None, (e.strip() for e in entries)):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network ({exc})") from None
    return networks


class TrustedProxyHeaders:
    """ASGI middleware for `http` and `websocket` scopes; see the module docstring."""

    def __init__(self, app: Any, trusted: Iterable[str]) -> None:
        self.app = app
        self.networks = parse_networks(trusted)

    def trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def rewrite(self, scope: dict[str, Any]) -> dict[str, Any]:
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or ())
        peer = scope.get("client")
        if not (peer and self.networks and self.trusted(str(peer[0]))):
            kept = [(name, value) for name, value in headers if name.lower() not in FORWARDED_HEADERS]
            return scope if len(kept) == len(headers) else {**scope, "headers": kept}
        forwarded = [value.decode("latin-1") for name, value in headers if name.lower() == b"x-forwarded-for"]
        hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
        client = str(peer[0])
        for hop in reversed(hops):
            client = hop
            if not self.trusted(hop):
                break
        scope = {**scope, "client": [client, 0]}
        protos = [value.decode("latin-1") for name, value in headers if name.lower() == b"x-forwarded-proto"]
        proto = protos[-1].split(",")[-1].strip().lower() if protos else ""
        if proto in ("https", "wss"):
            scheme = scope.get("scheme") or ("ws" if scope["type"] == "websocket" else "http")
            scope["scheme"] = SECURE_SCHEMES.get(scheme, scheme)
        return scope

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = self.rewrite(scope)
        await self.app(scope, receive, send)
