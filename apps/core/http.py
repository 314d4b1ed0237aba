"""Outbound HTTP (Taskcluster, hg, GitHub, Bugzilla): allowed hosts only, with timeouts and a size cap.

Every outbound request of the system goes through `http_get_json` or `http_stream`. A URL whose host
is not allowed is refused before any connection is made: hg push URLs come from Pulse messages, so
without the check a forged message could make a worker fetch any address.

The address is checked too, when the connection is made: every address the allowed name resolves to
that is not public (private, loopback, link-local such as the cloud metadata service at
169.254.169.254, carrier-grade NAT, multicast, reserved) is refused unless OUTBOUND_ALLOWED_NETWORKS
names its network, and the socket connects to the very address that was checked, never to a second
resolution of the name, so a DNS answer that changes between check and connect (DNS rebinding)
cannot slip through. Production allows no such network; bin/run, bin/test and bin/bench allow
127.0.0.0/8 for the local sample services. The pool is urllib3's (keep-alive, thread-safe),
created lazily per process so that forked Celery workers never share sockets.

OUTBOUND_TIMEOUT is the whole budget of a request (connect, headers and body), not only of each read:
a server that trickles a byte every few seconds would otherwise hold the calling thread for as long
as it likes. One watchdog thread per process shuts down the socket of a request past its deadline,
which ends a blocked read at once; the request then fails as OutboundUnavailable (retryable).
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.client import HTTPException
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


class OutboundError(Exception):
    """An outbound request failed. `retryable` says whether trying again later can help."""

    retryable = False

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class OutboundHostNotAllowed(OutboundError):
    pass


class OutboundAddressNotAllowed(OutboundHostNotAllowed):
    """An allowed host name resolved only to addresses outbound HTTP may not reach (not public and
    not in OUTBOUND_ALLOWED_NETWORKS). Final: the same answer comes next time."""


class OutboundNotFound(OutboundError):
    """404 or 410: the resource does not exist (a task that expired, a wrong URL)."""


class OutboundTooLarge(OutboundError):
    pass


class OutboundBadResponse(OutboundError):
    """A 4xx other than 404/429, or a body that is not JSON: retrying returns the same."""


class OutboundUnavailable(OutboundError):
    """Connection failure, timeout, 429 or 5xx: the service may answer later."""

    retryable = True


def _host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    return (parts.hostname or "").lower(), port


def allowed_hosts() -> list[tuple[str, int | None]]:
    """(host, port) pairs outbound HTTP may reach; port None means any port of that host.

    The hosts of the configured service roots, plus OUTBOUND_ALLOWED_HOSTS (`host` or `host:port`).
    """
    entries: list[tuple[str, int | None]] = []
    for root in (settings.TASKCLUSTER_ROOT_URL, settings.HG_URL, settings.GITHUB_API_URL, settings.BUGZILLA_URL):
        if root:
            entries.append(_host_port(root))
    for item in settings.OUTBOUND_ALLOWED_HOSTS:
        host, _, port = item.strip().lower().partition(":")
        if host:
            entries.append((host, int(port) if port else None))
    return entries


def url_is_allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        return False
    host, port = _host_port(url)
    return any(
        host == allowed and (allowed_port is None or port == allowed_port) for allowed, allowed_port in allowed_hosts()
    )


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Non-public networks outbound HTTP may reach anyway (OUTBOUND_ALLOWED_NETWORKS, CIDR)."""
    return [ipaddress.ip_network(item.strip(), strict=False) for item in settings.OUTBOUND_ALLOWED_NETWORKS if item]


def address_is_allowed(address: str) -> bool:
    """Is this resolved address one outbound HTTP may connect to? Public ones, and the allowed networks."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if ip.is_global and not ip.is_multicast:
        return True
    return any(ip.version == network.version and ip in network for network in allowed_networks())


class _AddressRefused(Exception):
    """Raised from inside urllib3's connect; deliberately not an OSError, so urllib3 does not wrap it
    as a connection failure (which would be retryable)."""

    def __init__(self, host: str, addresses: list[str]) -> None:
        listed = ", ".join(addresses) or "nothing"
        super().__init__(f"{host} resolves to {listed}: not an address outbound HTTP may reach")


class _Watch:
    """One request's deadline: past it, its socket (and any it opens later) is shut down."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._done = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        # socket.socket's own shutdown, also for an SSLSocket (whose override would unwrap it under
        # the reading thread): the blocked read sees end-of-stream.
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def track(self, sock: socket.socket | None) -> None:
        with self._lock:
            if self._done or sock is None:
                return
            self._sock = sock
            if self.expired:
                self._shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            if self._sock is not None:
                self._shutdown(self._sock)

    def finish(self) -> None:
        """The request is over: its connection may go back to the pool, untouched from now on."""
        with self._lock:
            self._done = True
            self._sock = None


class _Watchdog:
    GRANULARITY = 0.05

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Watch]] = []
        self._cond = threading.Condition()
        self._order = itertools.count()
        threading.Thread(target=self._run, name="outbound-deadlines", daemon=True).start()

    def watch(self, seconds: float) -> _Watch:
        watch = _Watch(time.monotonic() + seconds)
        with self._cond:
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if self._heap[0][2] is watch:  # earlier than what the thread waits for (or it waits for none)
                self._cond.notify()
        return watch

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    # A granularity of 50 ms: one wake-up expires every watch due by then.
                    self._cond.wait(max(wait, self.GRANULARITY))
                    continue
                now = time.monotonic()
                due = []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
            for watch in due:
                watch.expire()


_watchdog_lock = threading.Lock()
_watchdog: _Watchdog | None = None
_current = threading.local()  # the _Watch of the request this thread is making


def _get_watchdog() -> _Watchdog:
    global _watchdog
    if _watchdog is None:
        with _watchdog_lock:
            if _watchdog is None:
                _watchdog = _Watchdog()
    return _watchdog


def _forget_watchdog() -> None:
    global _watchdog
    _watchdog = None  # its thread does not exist in a forked child


os.register_at_fork(after_in_child=_forget_watchdog)


class _TrackedConnection:
    """Connects only to checked addresses, and tells the current request's watch which socket it
    uses (a new one, or a pooled one)."""

    sock: socket.socket | None
    _dns_host: str
    port: int

    def _new_conn(self) -> socket.socket:
        """Resolve the host once, keep the addresses allowed, and connect to one of those literally
        (urllib3's own connect, with the checked address in place of the name: TLS still verifies
        and sends the name, which is `self.host`)."""
        name = self._dns_host
        try:
            infos = socket.getaddrinfo(name, self.port, 0, socket.SOCK_STREAM)
        except socket.gaierror:
            return super()._new_conn()  # type: ignore[misc]  # urllib3 reports it as it does
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        permitted = [address for address in addresses if address_is_allowed(address)]
        if not permitted:
            raise _AddressRefused(name, addresses)
        error: Exception | None = None
        for address in permitted:
            self._dns_host = address
            try:
                return super()._new_conn()  # type: ignore[misc]
            except urllib3.exceptions.NewConnectionError as exc:
                error = exc  # the next address, as urllib3's create_connection would
            finally:
                self._dns_host = name
        assert error is not None
        raise error

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._track()

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._track()
        super().request(*args, **kwargs)  # type: ignore[misc]

    def _track(self) -> None:
        watch: _Watch | None = getattr(_current, "watch", None)
        if watch is not None:
            watch.track(self.sock)


class _HTTPConnection(_TrackedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_TrackedConnection, HTTPSConnection):
    pass


class _HTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_pool_lock = threading.Lock()
_pool: urllib3.PoolManager | None = None


def _get_pool() -> urllib3.PoolManager:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                # maxsize covers the concurrent definition fetches of one worker process.
                pool = urllib3.PoolManager(num_pools=16, maxsize=32, block=False, retries=False)
                pool.pool_classes_by_scheme = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}
                _pool = pool
    return _pool


def reset_pool() -> None:
    """Forget the connection pool (after a fork, or in tests that restart the server)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.clear()
        _pool = None


def http_get_json(url: str, *, headers: dict[str, str] | None = None) -> Any:
    """GET a JSON document within OUTBOUND_TIMEOUT in all. Raises an OutboundError subclass on any failure."""
    if not url_is_allowed(url):
        raise OutboundHostNotAllowed(f"host of {url!r} is not in the outbound allow-list", url=url)
    budget = float(settings.OUTBOUND_TIMEOUT)
    watch = _get_watchdog().watch(budget)
    _current.watch = watch
    try:
        return _get_json(url, headers, watch, budget)
    finally:
        _current.watch = None


def _get_json(url: str, headers: dict[str, str] | None, watch: _Watch, budget: float) -> Any:
    max_bytes = int(settings.OUTBOUND_MAX_BYTES)
    timeout = urllib3.Timeout(connect=min(10.0, budget), read=budget)
    request_headers = {"Accept": "application/json", "User-Agent": "treeherder-live-ingestion"}
    request_headers.update(headers or {})
    response = None
    complete = False
    try:
        response = _get_pool().request(
            "GET", url, headers=request_headers, timeout=timeout, preload_content=False, redirect=False
        )
        status = response.status
        if status in (404, 410):
            raise OutboundNotFound(f"GET {url}: {status}", url=url, status=status)
        if status == 429 or status >= 500:
            raise OutboundUnavailable(f"GET {url}: {status}", url=url, status=status)
        if status >= 300:
            raise OutboundBadResponse(f"GET {url}: {status}", url=url, status=status)
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise OutboundTooLarge(f"GET {url}: {length} bytes is over the {max_bytes}-byte cap", url=url)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.stream(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise OutboundTooLarge(f"GET {url}: body over the {max_bytes}-byte cap", url=url)
            chunks.append(chunk)
        if watch.expired:  # the watchdog ended it: what was read may be cut short
            raise OutboundUnavailable(f"GET {url}: no complete answer within {budget:g} s", url=url)
        complete = True
    except _AddressRefused as exc:
        raise OutboundAddressNotAllowed(f"GET {url}: {exc}", url=url) from exc
    except (urllib3.exceptions.HTTPError, HTTPException, OSError) as exc:
        if watch.expired:
            raise OutboundUnavailable(f"GET {url}: no complete answer within {budget:g} s", url=url) from exc
        raise OutboundUnavailable(f"GET {url} failed: {type(exc).__name__}: {exc}", url=url) from exc
    finally:
        watch.finish()  # before the connection goes back to the pool
        if response is not None:
            if not complete:
                # An unread body must not stay on a pooled connection: the next request would read it.
                response.close()
            response.release_conn()
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise OutboundBadResponse(f"GET {url}: body is not JSON ({exc})", url=url, status=status) from exc


class OutboundStream:
    """An open streamed response: `chunks()` yields the body as sent (not decoded), size-capped."""

    def __init__(self, url: str, response: Any, watch: _Watch, budget: float, max_bytes: int) -> None:
        self.url = url
        self.headers = response.headers
        self._response = response
        self._watch = watch
        self._budget = budget
        self._max_bytes = max_bytes
        self.bytes_read = 0
        self.complete = False

    def chunks(self, size: int = 64 * 1024) -> Any:
        try:
            for chunk in self._response.stream(size, decode_content=False):
                self.bytes_read += len(chunk)
                if self.bytes_read > self._max_bytes:
                    raise OutboundTooLarge(f"GET {self.url}: body over the {self._max_bytes}-byte cap", url=self.url)
                yield chunk
            if self._watch.expired:
                raise OutboundUnavailable(f"GET {self.url}: no complete answer within {self._budget:g} s", url=self.url)
            self.complete = True
        except (urllib3.exceptions.HTTPError, HTTPException, OSError) as exc:
            if self._watch.expired:
                raise OutboundUnavailable(
                    f"GET {self.url}: no complete answer within {self._budget:g} s", url=self.url
                ) from exc
            raise OutboundUnavailable(f"GET {self.url} failed: {type(exc).__name__}: {exc}", url=self.url) from exc


@contextmanager
def http_stream(
    url: str, *, max_bytes: int, timeout: float | None = None, max_redirects: int = 5
) -> Iterator[OutboundStream]:
    """GET a large body (a log) as a stream, within `timeout` seconds (default OUTBOUND_TIMEOUT) in all.

    Redirects are followed (Taskcluster answers artifact URLs with a 303 to the storage host), each
    hop checked against the allow-list before it is requested. A Content-Length over `max_bytes` is
    refused before the body is read (OutboundTooLarge), and so is a body that turns out longer.
    The body is yielded as sent: a gzip body stays compressed, so the cap counts what was downloaded.
    """
    budget = float(timeout if timeout is not None else settings.OUTBOUND_TIMEOUT)
    watch = _get_watchdog().watch(budget)
    _current.watch = watch
    response = None
    stream: OutboundStream | None = None
    try:
        current = url
        for _hop in range(max_redirects + 1):
            if not url_is_allowed(current):
                raise OutboundHostNotAllowed(f"host of {current!r} is not in the outbound allow-list", url=current)
            try:
                response = _get_pool().request(
                    "GET",
                    current,
                    headers={"User-Agent": "treeherder-live-logs", "Accept-Encoding": "gzip"},
                    timeout=urllib3.Timeout(connect=min(10.0, budget), read=budget),
                    preload_content=False,
                    redirect=False,
                    decode_content=False,
                )
            except _AddressRefused as exc:
                raise OutboundAddressNotAllowed(f"GET {current}: {exc}", url=current) from exc
            except (urllib3.exceptions.HTTPError, HTTPException, OSError) as exc:
                raise OutboundUnavailable(f"GET {current} failed: {type(exc).__name__}: {exc}", url=current) from exc
            status = response.status
            if status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                target = urljoin(current, response.headers["Location"])
                response.drain_conn()
                response.release_conn()
                response = None
                current = target
                continue
            if status in (403, 404, 410):
                raise OutboundNotFound(f"GET {current}: {status}", url=current, status=status)
            if status == 429 or status >= 500:
                raise OutboundUnavailable(f"GET {current}: {status}", url=current, status=status)
            if status >= 300:
                raise OutboundBadResponse(f"GET {current}: {status}", url=current, status=status)
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise OutboundTooLarge(f"GET {current}: {length} bytes is over the {max_bytes}-byte cap", url=current)
            stream = OutboundStream(current, response, watch, budget, max_bytes)
            yield stream
            return
        raise OutboundBadResponse(f"GET {url}: more than {max_redirects} redirects", url=url)
    finally:
        watch.finish()
        _current.watch = None
        if response is not None:
            if stream is None or not stream.complete:
                response.close()
            response.release_conn()
