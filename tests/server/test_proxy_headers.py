"""X-Forwarded-For counts only from TRUSTED_PROXIES (config/proxy_headers.py), against a real Daphne
started as the Procfile starts it: a client that writes its own X-Forwarded-For cannot dodge the
per-address WebSocket limit; a trusted proxy's forwarded address is the one limited."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from config.proxy_headers import TrustedProxyHeaders
from tests.support.processes import RunningServer, run_daphne

LIMIT = 2
PROXY = "127.0.0.2"  # the loopback network is all ours: a second peer address
REFUSED = (4013, f"Too many connections from your address (the limit is {LIMIT})")


@pytest.fixture
def daphne(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.support.live_settings",
        "LIVE_MAX_CONNECTIONS_PER_ADDRESS": str(LIMIT),
        "TRUSTED_PROXIES": f"{PROXY}/32",
    }
    with run_daphne(tmp_path, env=env) as server:
        yield server


async def _outcome(ws: Any) -> tuple[int | None, str] | str:
    """The close code and reason if the server refused the socket, else "open". These sockets send
    no connection_init, so an admitted one is closed by the init timeout (4408), or still open."""
    try:
        await asyncio.wait_for(ws.recv(), 5)
    except websockets.ConnectionClosed as closed:
        code = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")
        return "open" if code[0] == 4408 else code
    except TimeoutError:
        return "open"
    return "open"


async def _connect(base_url: str, forwarded_for: str, local: str) -> Any:
    url = base_url.replace("http://", "ws://") + "/graphql"
    return await websockets.connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers={"X-Forwarded-For": forwarded_for},
        local_addr=(local, 0),
    )


@pytest.mark.slow
def test_forwarded_for_counts_only_from_a_trusted_proxy(daphne: RunningServer) -> None:
    async def scenario() -> dict[str, list[Any]]:
        # A client (not a proxy) naming a new address on every socket: limited on its real one.
        spoofed = [await _connect(daphne.url, f"203.0.113.{n}", "127.0.0.1") for n in range(1, LIMIT + 2)]
        # The trusted proxy forwarding LIMIT + 1 clients: each is its own address.
        clients = [await _connect(daphne.url, f"198.51.100.{n}", PROXY) for n in range(1, LIMIT + 2)]
        # ... and one client through it LIMIT + 1 times, writing a different address of its own in
        # front each time (the proxy appends what it saw: the rightmost entry counts).
        one = [await _connect(daphne.url, f"192.0.2.{n}, 198.51.100.9", PROXY) for n in range(1, LIMIT + 2)]
        outcome = {
            "spoofed": [await _outcome(ws) for ws in spoofed],
            "clients": [await _outcome(ws) for ws in clients],
            "one": [await _outcome(ws) for ws in one],
        }
        for ws in [*spoofed, *clients, *one]:
            await ws.close()
        return outcome

    outcome = asyncio.run(scenario())

    # The first LIMIT stay open; the next is refused although it named yet another address.
    assert outcome["spoofed"] == ["open"] * LIMIT + [REFUSED]
    assert outcome["clients"] == ["open"] * (LIMIT + 1)
    assert outcome["one"] == ["open"] * LIMIT + [REFUSED]
    log = daphne.log()
    assert "refusing WebSockets from 127.0.0.1:" in log
    assert "refusing WebSockets from 198.51.100.9:" in log
    assert "203.0.113." not in log and "192.0.2." not in log


# The middleware's rules, one scope at a time (no server needed to show them).


def _scope(peer: str, *headers: tuple[bytes, bytes], kind: str = "http") -> dict[str, Any]:
    return {"type": kind, "client": [peer, 5000], "scheme": "ws" if kind == "websocket" else "http",
            "headers": [(b"host", b"example.org"), *headers]}  # fmt: skip


def test_untrusted_peers_are_the_client_and_lose_their_forwarded_headers() -> None:
    middleware = TrustedProxyHeaders(None, [])
    scope = middleware.rewrite(_scope("10.1.2.3", (b"x-forwarded-for", b"1.2.3.4"), (b"X-Forwarded-Proto", b"https")))
    assert scope["client"] == ["10.1.2.3", 5000]
    assert scope["scheme"] == "http"
    assert scope["headers"] == [(b"host", b"example.org")]  # Django's SECURE_PROXY_SSL_HEADER sees nothing


def test_behind_trusted_proxies_the_client_is_the_rightmost_untrusted_hop() -> None:
    middleware = TrustedProxyHeaders(None, ["10.0.0.0/8", "::1"])
    forwarded = (b"x-forwarded-for", b"6.6.6.6, 1.2.3.4, 10.0.0.7")
    scope = middleware.rewrite(_scope("10.0.0.1", forwarded, (b"x-forwarded-proto", b"https"), kind="websocket"))
    assert scope["client"] == ["1.2.3.4", 0]
    assert scope["scheme"] == "wss"
    # Only proxies in the chain: the leftmost is the client.
    assert middleware.rewrite(_scope("::1", (b"x-forwarded-for", b"10.0.0.9")))["client"] == ["10.0.0.9", 0]
    # No header from a trusted peer: the peer itself.
    assert middleware.rewrite(_scope("10.0.0.1"))["client"] == ["10.0.0.1", 0]


def test_a_bad_trusted_proxies_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="not-an-address"):
        TrustedProxyHeaders(None, ["not-an-address"])


def test_the_procfile_runs_daphne_without_proxy_headers() -> None:
    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    [web] = [line for line in procfile.splitlines() if line.startswith("web:")]
    assert "--proxy-headers" not in web  # Daphne's would believe X-Forwarded-For from anyone
