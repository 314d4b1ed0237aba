"""Outbound HTTP: allowed hosts only, a size cap, timeouts, and failures classed as final or retryable."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest

from apps.core.http import (
    OutboundHostNotAllowed,
    OutboundNotFound,
    OutboundTooLarge,
    OutboundUnavailable,
    http_get_json,
    reset_pool,
    url_is_allowed,
)
from tests.support.processes import free_port

TASK = "/api/queue/v1/task/A35mWTRuQmyj88yMnIF0fA"


def test_allow_list_is_the_configured_roots_plus_extra_hosts(settings: Any) -> None:
    settings.TASKCLUSTER_ROOT_URL = "https://firefox-ci-tc.services.mozilla.com"
    settings.HG_URL = "http://127.0.0.1:8100"
    settings.OUTBOUND_ALLOWED_HOSTS = ["bugzilla.example", "127.0.0.2:9000"]

    assert url_is_allowed("https://firefox-ci-tc.services.mozilla.com/api/queue/v1/task/x")
    assert not url_is_allowed("http://firefox-ci-tc.services.mozilla.com/api")  # other port (80)
    assert url_is_allowed("http://127.0.0.1:8100/try/json-pushes")
    assert not url_is_allowed("http://127.0.0.1:8101/try/json-pushes")
    assert url_is_allowed("https://bugzilla.example:8443/rest")  # a host without port: any port
    assert url_is_allowed("http://127.0.0.2:9000/x")
    assert not url_is_allowed("https://hg.mozilla.org.evil.example/try")
    assert not url_is_allowed("file:///etc/passwd")
    with pytest.raises(OutboundHostNotAllowed):
        http_get_json("https://example.com/")


def test_answers_and_failures(ingest_settings: Any, sample_services: Any) -> None:
    root = sample_services.url
    assert http_get_json(f"{root}{TASK}")["metadata"]["owner"] == "jmuizelaar@mozilla.com"

    with pytest.raises(OutboundNotFound):
        http_get_json(f"{root}/api/queue/v1/task/AAAAAAAAAAAAAAAAAAAAAA")
    sample_services.failures["/api/queue/"] = 1
    with pytest.raises(OutboundUnavailable) as err:
        http_get_json(f"{root}{TASK}")
    assert err.value.retryable and err.value.status == 500
    # The pooled connection is still usable after an error answer.
    assert http_get_json(f"{root}{TASK}")["metadata"]["owner"] == "jmuizelaar@mozilla.com"

    ingest_settings.OUTBOUND_MAX_BYTES = 1000
    with pytest.raises(OutboundTooLarge) as too_large:
        http_get_json(f"{root}{TASK}")
    assert not too_large.value.retryable


def test_a_server_that_never_answers_times_out(settings: Any) -> None:
    port = free_port()
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    settings.OUTBOUND_TIMEOUT = 0.5
    reset_pool()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", port))
        silent.listen(1)  # accepts the connection, never answers
        with pytest.raises(OutboundUnavailable) as err:
            http_get_json(f"http://127.0.0.1:{port}/api")
    assert err.value.retryable
    reset_pool()


def _trickle(server: socket.socket, head: bytes, tail: bytes) -> None:
    """Answer one request: `head` at once, then `tail` a byte every 0.2 s (about 8 s for 40 bytes),
    each byte well within the read timeout."""
    client, _ = server.accept()
    with client:
        client.recv(65536)
        try:
            client.sendall(head)
            for byte in tail:
                time.sleep(0.2)
                client.sendall(bytes([byte]))
        except OSError:
            pass  # the client gave up


BODY = b'{"answer": "' + b"x" * 30 + b'"}'


@pytest.mark.parametrize(
    ("head", "tail"),
    [
        # The body trickles in.
        (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY), BODY),
        # The headers trickle in.
        (
            b"HTTP/1.1 200 OK\r\n",
            b"X-Slow: " + b"y" * 30 + b"\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY,
        ),
    ],
    ids=["body", "headers"],
)
def test_the_timeout_is_the_whole_request_not_each_read(settings: Any, head: bytes, tail: bytes) -> None:
    port = free_port()
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    settings.OUTBOUND_TIMEOUT = 1.0
    reset_pool()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen(1)
        thread = threading.Thread(target=_trickle, args=(server, head, tail), daemon=True)
        thread.start()
        with pytest.raises(OutboundUnavailable) as err:
            http_get_json(f"http://127.0.0.1:{port}/api")
        thread.join(timeout=30)
    assert "no complete answer within 1 s" in str(err.value)
    assert err.value.retryable
    reset_pool()
