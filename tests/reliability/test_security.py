"""Security checks (issue 15): outbound fetches reach only allowed hosts at public addresses.

Outbound HTTP (apps/core/http.py: Taskcluster, hg, GitHub, Bugzilla, logs) refuses a host not
allowed, a redirect to one, and an allowed host name that resolves to a private, loopback or
link-local address (the cloud metadata service at 169.254.169.254, 10.x), checked on the address
the socket connects to, so a DNS answer that changes between the check and the connect cannot slip
through. Names are resolved by the system resolver, or (for names that must resolve to an address
this machine does not have a name for) by a resolver the test controls in place of
`socket.getaddrinfo`, the way the TCP proxy stands in for a network outage.

The other security checks of the issue live with the code they test:

* mutation authorisation matrix (anonymous, signed in, sheriff, bot tokens of each scope, revoked
  and expired tokens, for every mutation, over HTTP against a real Daphne):
  tests/schema/sheriffing/test_authorisation.py::test_authorisation_matrix_over_http;
* CSRF required of cookie sessions (not of tokens):
  tests/schema/sheriffing/test_authorisation.py::test_csrf_is_required_of_cookie_sessions_only;
* tokens never logged (Daphne's and the relay's logs after token use, revocation and refusal):
  tests/schema/sheriffing/test_authorisation.py::test_tokens_are_shown_once_stored_hashed_and_never_logged,
  and a token in connection_init below; log redaction: tests/apps/core/test_logs.py;
* errors masked in production (DEBUG off: "Unexpected error.", code INTERNAL, no traceback or SQL in
  the answer): tests/schema/test_http.py::test_production_masks_internal_errors_over_http and
  tests/schema/test_errors.py;
* `check --deploy` clean: a step of bin/test (DEBUG=false, SECURE_HTTPS=true).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets

from apps.core.http import (
    OutboundAddressNotAllowed,
    OutboundBadResponse,
    OutboundHostNotAllowed,
    address_is_allowed,
    http_get_json,
    http_stream,
    reset_pool,
)
from devtools.sample_services import SampleServer
from tests.support.accounts import make_token, make_user
from tests.support.processes import run_daphne
from tests.support.ws import GraphQLWS

TASK = "/api/queue/v1/task/A35mWTRuQmyj88yMnIF0fA"


@pytest.fixture
def outbound(settings: Any, sample_services: SampleServer) -> Iterator[Any]:
    """The sample server's host:port is the one allowed host; loopback is allowed as bin/test does
    (the sample server is on it), no other non-public network. Tests of the address check that
    need production's rule (no such network at all) set it."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{sample_services.server_address[1]}"]
    sample_services.files.clear()
    reset_pool()
    yield settings
    sample_services.files.clear()
    reset_pool()


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names the test resolves (each to the addresses listed, the first answer first); every other
    name goes to the system resolver. Records every lookup of a test name in `lookups`."""
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in answers:
            return real(host, port, *args, **kwargs)
        lookups.append(name)
        address = answers[name][min(len(lookups) - 1, len(answers[name]) - 1)]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, int(port), 0, 0) if family == socket.AF_INET6 else (address, int(port))
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["__lookups__"] = lookups  # type: ignore[assignment]
    return answers


def _get(url: str) -> Any:
    return http_get_json(url)


def _stream(url: str) -> bytes:
    with http_stream(url, max_bytes=10_000_000) as stream:
        return b"".join(stream.chunks())


FETCHES = {"get_json": _get, "stream": _stream}


@pytest.mark.parametrize("fetch", FETCHES)
def test_a_host_not_allowed_is_refused_before_any_connection(
    outbound: Any, sample_services: SampleServer, fetch: str
) -> None:
    before = sample_services.requests
    for url in (
        f"http://localhost:{sample_services.server_address[1]}{TASK}",  # the same server by another name
        "http://169.254.169.254/latest/meta-data/",
        "http://example.com/",
        "file:///etc/passwd",
    ):
        with pytest.raises(OutboundHostNotAllowed) as refused:
            FETCHES[fetch](url)
        assert type(refused.value) is OutboundHostNotAllowed and not refused.value.retryable
    assert sample_services.requests == before


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://evil.example/x", "http://127.0.0.1:1/x"]
)
def test_a_redirect_to_a_host_not_allowed_is_refused(outbound: Any, sample_services: SampleServer, target: str) -> None:
    sample_services.files["/redirect/log"] = (302, {"Location": target}, b"")
    url = f"{sample_services.url}/redirect/log"

    with pytest.raises(OutboundHostNotAllowed) as refused:
        _stream(url)  # logs follow redirects, each hop checked
    with pytest.raises(OutboundBadResponse):
        _get(url)  # JSON fetches follow none

    assert refused.value.url == target


def test_a_redirect_to_an_allowed_name_at_a_private_address_is_refused(
    outbound: Any, sample_services: SampleServer, resolver: dict[str, list[str]]
) -> None:
    outbound.OUTBOUND_ALLOWED_HOSTS = [*outbound.OUTBOUND_ALLOWED_HOSTS, "storage.allowed.example"]
    resolver["storage.allowed.example"] = ["10.1.2.3"]
    sample_services.files["/redirect/private"] = (303, {"Location": "http://storage.allowed.example/log"}, b"")

    with pytest.raises(OutboundAddressNotAllowed) as refused:
        _stream(f"{sample_services.url}/redirect/private")

    assert "10.1.2.3" in str(refused.value) and not refused.value.retryable


@pytest.mark.parametrize("fetch", FETCHES)
@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # link-local: the cloud metadata service
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "100.64.0.1",  # carrier-grade NAT
        "127.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.5",  # IPv4-mapped
    ],
)
def test_an_allowed_name_resolving_to_a_non_public_address_is_refused(
    outbound: Any, resolver: dict[str, list[str]], fetch: str, address: str
) -> None:
    outbound.OUTBOUND_ALLOWED_NETWORKS = []  # production
    outbound.OUTBOUND_ALLOWED_HOSTS = ["hg.allowed.example"]
    resolver["hg.allowed.example"] = [address]

    with pytest.raises(OutboundAddressNotAllowed) as refused:
        FETCHES[fetch]("http://hg.allowed.example/try/json-pushes")

    assert address in str(refused.value) and not refused.value.retryable


def test_an_ip_literal_and_localhost_are_checked_too(outbound: Any, sample_services: SampleServer) -> None:
    port = sample_services.server_address[1]
    outbound.OUTBOUND_ALLOWED_NETWORKS = []  # production
    outbound.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}", f"localhost:{port}", "169.254.169.254"]

    for url in (f"http://127.0.0.1:{port}{TASK}", f"http://localhost:{port}{TASK}", "http://169.254.169.254/"):
        with pytest.raises(OutboundAddressNotAllowed):
            _get(url)

    # The address check is what refused: with loopback allowed (as bin/test does) the same fetches work.
    outbound.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    for url in (f"http://127.0.0.1:{port}{TASK}", f"http://localhost:{port}{TASK}"):
        assert _get(url)["metadata"]["owner"] == "jmuizelaar@mozilla.com"


def test_the_address_connected_to_is_the_address_checked(
    outbound: Any, sample_services: SampleServer, resolver: dict[str, list[str]]
) -> None:
    """DNS rebinding: the name answers an allowed address to the check, then a forbidden one. The
    connection goes to the checked address, from the one lookup; no second lookup is made."""
    port = sample_services.server_address[1]
    outbound.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    outbound.OUTBOUND_ALLOWED_HOSTS = [f"rebind.example:{port}"]
    resolver["rebind.example"] = ["127.0.0.1", "169.254.169.254"]
    lookups: list[str] = resolver["__lookups__"]  # type: ignore[assignment]
    before = sample_services.requests

    answer = _get(f"http://rebind.example:{port}{TASK}")

    assert answer["metadata"]["owner"] == "jmuizelaar@mozilla.com"
    assert lookups == ["rebind.example"]
    assert sample_services.requests == before + 1


def test_a_mixed_answer_connects_only_to_its_public_or_allowed_addresses(
    outbound: Any, sample_services: SampleServer, resolver: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name with a private address among others is never connected to that address."""
    connected: list[str] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        connected.append(str(address[0]))
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    port = sample_services.server_address[1]
    outbound.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    outbound.OUTBOUND_ALLOWED_HOSTS = [f"mixed.example:{port}"]
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: Any, port_: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "mixed.example":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("10.0.0.9", int(port_))),
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", int(port_))),
            ]
        return real(host, port_, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    assert _get(f"http://mixed.example:{port}{TASK}")["metadata"]["owner"] == "jmuizelaar@mozilla.com"
    assert connected == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("169.254.169.254", False),
        ("10.0.0.1", False),
        ("127.0.0.1", False),
        ("224.0.0.1", False),  # multicast
        ("::ffff:127.0.0.1", False),
        ("fe80::1%eth0", False),
    ],
)
def test_which_addresses_are_public(settings: Any, address: str, allowed: bool) -> None:
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    assert address_is_allowed(address) is allowed


@pytest.mark.slow
def test_tokens_over_websocket_and_in_urls_are_never_logged(transactional_db: None, tmp_path: Path) -> None:
    """A real Daphne (the production authenticator): a token in connection_init (accepted, and
    revoked-looking ones refused), in an Authorization header and in a URL's query string; DEBUG
    logging on, so every record the process writes is there to search."""
    live = make_token(make_user("ws-bot", password=None), "read")
    revoked = make_token(make_user("ws-bot-2", password=None), "read", revoked=True)
    with run_daphne(tmp_path, env={"LOG_LEVEL": "DEBUG"}) as daphne:

        async def scenario() -> tuple[dict[str, Any], int | None]:
            client = await GraphQLWS.connect(daphne.url, params={"Authorization": f"Bearer {live}"})
            await client.subscribe("me", "{ me { username via } }")
            answer = await client.receive()
            await client.close()
            refused = await GraphQLWS.connect(daphne.url, init=False)
            await refused.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {revoked}"}})
            try:
                while True:
                    await refused.receive()
            except websockets.ConnectionClosed as closed:
                return answer, closed.rcvd.code if closed.rcvd else None

        answer, refused_code = asyncio.run(scenario())
        over_http = requests.post(
            f"{daphne.url}/graphql",
            json={"query": "{ me { username } }"},
            headers={"Authorization": f"Bearer {revoked}"},
            timeout=30,
        ).json()
        in_url = requests.get(
            f"{daphne.url}/graphql", params={"query": "{ me { username } }", "token": live}, timeout=30
        )
        log = daphne.log()

    assert answer["payload"]["data"]["me"] == {"username": "ws-bot", "via": "token"}
    assert refused_code == 4403
    assert over_http["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert in_url.status_code == 200
    assert "graphql" in log  # the requests were logged ...
    for raw in (live, revoked):
        assert raw not in log and raw[10:] not in log  # ... without the tokens
