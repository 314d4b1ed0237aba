"""Outbound HTTP (Taskcluster, hg, GitHub, Bugzilla): allowed hosts only, with timeouts and a size cap.

Every outbound request of the system goes through `http_get_json`. A URL whose host is not allowed is
refused before any connection is made: hg push URLs come from Pulse messages, so without the check a
forged message could make a worker fetch any address. The pool is urllib3's (keep-alive, thread-safe),
created lazily per process so that forked Celery workers never share sockets.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson
import urllib3
from django.conf import settings

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


_pool_lock = threading.Lock()
_pool: urllib3.PoolManager | None = None


def _get_pool() -> urllib3.PoolManager:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                # maxsize covers the concurrent definition fetches of one worker process.
                _pool = urllib3.PoolManager(num_pools=16, maxsize=32, block=False, retries=False)
    return _pool


def reset_pool() -> None:
    """Forget the connection pool (after a fork, or in tests that restart the server)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.clear()
        _pool = None


def http_get_json(url: str, *, headers: dict[str, str] | None = None) -> Any:
    """GET a JSON document. Raises an OutboundError subclass on any failure."""
    if not url_is_allowed(url):
        raise OutboundHostNotAllowed(f"host of {url!r} is not in the outbound allow-list", url=url)
    max_bytes = int(settings.OUTBOUND_MAX_BYTES)
    timeout = urllib3.Timeout(connect=min(10.0, settings.OUTBOUND_TIMEOUT), read=settings.OUTBOUND_TIMEOUT)
    request_headers = {"Accept": "application/json", "User-Agent": "treeherder-live-ingestion"}
    request_headers.update(headers or {})
    try:
        response = _get_pool().request(
            "GET", url, headers=request_headers, timeout=timeout, preload_content=False, redirect=False
        )
    except urllib3.exceptions.HTTPError as exc:
        raise OutboundUnavailable(f"GET {url} failed: {type(exc).__name__}: {exc}", url=url) from exc
    complete = False
    try:
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
        try:
            for chunk in response.stream(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise OutboundTooLarge(f"GET {url}: body over the {max_bytes}-byte cap", url=url)
                chunks.append(chunk)
        except urllib3.exceptions.HTTPError as exc:
            raise OutboundUnavailable(f"GET {url} failed while reading: {exc}", url=url) from exc
        complete = True
    finally:
        if not complete:
            # An unread body must not stay on a pooled connection: the next request would read it.
            response.close()
        response.release_conn()
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise OutboundBadResponse(f"GET {url}: body is not JSON ({exc})", url=url, status=status) from exc
