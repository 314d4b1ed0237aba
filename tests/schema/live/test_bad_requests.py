"""A client's mistakes get a GraphQL-shaped JSON error with a code from a real Daphne, never a 500,
an "Unexpected error.", a bare HTML page or a dropped connection (issue 9, deliverables 2, 3, 5)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import websockets

from config.http_limits import MAX_BODY_BYTES, MAX_URL_BYTES, WEBSOCKET_MAX_MESSAGE_BYTES
from tests import factories as f
from tests.schema.live.conftest import LiveStack
from tests.support.ws import GraphQLWS

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed")]


def _post(url: str, data: bytes, **headers: str) -> requests.Response:
    return requests.post(
        f"{url}/graphql",
        data=data,
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
        timeout=30,
    )


def _only_error(response: requests.Response) -> dict[str, Any]:
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.mark.parametrize(
    ("body", "kind"), [(b'"query"', "string"), (b"42", "number"), (b"true", "boolean"), (b"null", "null")]
)
def test_a_body_that_is_not_an_object_is_a_400(live_stack: LiveStack, body: bytes, kind: str) -> None:
    response = _post(live_stack.url, body)

    assert response.status_code == 400
    assert _only_error(response) == {
        "message": f"The request body must be a JSON object with a `query` (got a JSON {kind}).",
        "extensions": {"code": "BAD_REQUEST"},
    }


def test_invalid_utf8_is_a_400(live_stack: LiveStack) -> None:
    response = _post(live_stack.url, b'{"query": "{ __typename \xff\xfe }"}')

    assert response.status_code == 400
    assert _only_error(response)["extensions"] == {"code": "BAD_REQUEST"}
    # One line, ours, with the code: not Django's "Bad Request" line besides.
    log = live_stack.daphne.log()
    assert "GraphQL request refused (BAD_REQUEST): Unable to parse request body as JSON" in log
    assert "Bad Request: /graphql" not in log


def test_a_body_over_the_limit_is_a_413_without_an_error_log_line(live_stack: LiveStack) -> None:
    padding = "x" * MAX_BODY_BYTES
    response = _post(live_stack.url, b'{"query": "{ __typename }", "variables": {"p": "' + padding.encode() + b'"}}')

    assert response.status_code == 413
    error = _only_error(response)
    assert error["extensions"] == {"code": "REQUEST_TOO_LARGE", "limit": MAX_BODY_BYTES}
    assert error["message"].endswith(f"bytes; the limit is {MAX_BODY_BYTES}.")
    log = live_stack.daphne.log()
    assert "GraphQL request refused (REQUEST_TOO_LARGE)" in log
    assert " ERROR " not in log


def test_a_chunked_body_over_the_limit_is_a_413(live_stack: LiveStack) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"p": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536
        yield b'"}}'

    response = requests.post(
        f"{live_stack.url}/graphql", data=chunks(), headers={"Content-Type": "application/json"}, timeout=30
    )

    assert response.status_code == 413
    assert _only_error(response)["extensions"]["code"] == "REQUEST_TOO_LARGE"


def _raw_get(url: str, target: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received and received.endswith(b"}"):
                break
        return received


@pytest.mark.parametrize("length", [MAX_URL_BYTES + 1, 20_000, 100_000])
def test_an_overlong_url_is_a_414(live_stack: LiveStack, length: int) -> None:
    target = b"/graphql?query=" + b"a" * (length - len("/graphql?query="))
    answer = _raw_get(live_stack.url, target)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 "), answer[:200]
    assert b"application/json" in head
    assert b'"code":"URI_TOO_LONG"' in body


def test_a_subscription_over_http_says_where_subscriptions_are_served(live_stack: LiveStack) -> None:
    query = 'subscription { jobChanged(repository: "try") { cursor } }'
    posted = requests.post(f"{live_stack.url}/graphql", json={"query": query}, timeout=30)
    got = requests.get(
        f"{live_stack.url}/graphql", params={"query": query}, headers={"Accept": "application/json"}, timeout=30
    )

    for response in (posted, got):
        assert response.status_code == 400
        error = _only_error(response)
        assert error["extensions"] == {"code": "OPERATION_NOT_ALLOWED"}
        assert "WebSocket" in error["message"] and "graphql-transport-ws" in error["message"]


def _gid(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("node_id", "code", "message"),
    [
        (_gid("Nope:1"), "NOT_FOUND", "'Nope' is not a Node type"),
        (_gid("JobType:1"), "NOT_FOUND", "'JobType' is not a Node type"),
        (_gid("Job:999999"), "NOT_FOUND", "No Job has the id"),
        (_gid(f"Job:{2**64}"), "BAD_USER_INPUT", "is out of range"),
        (_gid("Job:abc"), "BAD_USER_INPUT", "is not a Job id"),
    ],
)
def test_node_with_a_wrong_global_id(live_stack: LiveStack, node_id: str, code: str, message: str) -> None:
    response = requests.post(
        f"{live_stack.url}/graphql", json={"query": f'{{ node(id: "{node_id}") {{ id }} }}'}, timeout=30
    )

    assert response.status_code == 200
    error = _only_error(response)
    assert error["extensions"]["code"] == code
    assert message in error["message"]
    assert " ERROR " not in live_stack.daphne.log()


@pytest.mark.parametrize("field", ["job", "push"])
def test_ids_beyond_64_bits_are_the_clients_error(live_stack: LiveStack, field: str) -> None:
    response = requests.post(
        f"{live_stack.url}/graphql", json={"query": f'{{ {field}(id: "{2**64}") {{ id }} }}'}, timeout=30
    )

    error = _only_error(response)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": 2**63 - 1}
    assert response.json()["data"] == {field: None}


def test_several_operations_need_an_operation_name(live_stack: LiveStack) -> None:
    document = "query A { __typename } query B { __typename }"
    unnamed = requests.post(f"{live_stack.url}/graphql", json={"query": document}, timeout=30)
    named = requests.post(f"{live_stack.url}/graphql", json={"query": document, "operationName": "B"}, timeout=30)
    unknown = requests.post(f"{live_stack.url}/graphql", json={"query": document, "operationName": "C"}, timeout=30)

    assert _only_error(unnamed)["extensions"] == {"code": "OPERATION_NAME_REQUIRED", "operations": 2}
    assert named.json()["data"] == {"__typename": "Query"}
    assert unknown.status_code == 400
    assert _only_error(unknown) == {
        "message": 'Unknown operation named "C".',
        "extensions": {"code": "OPERATION_NOT_FOUND"},
    }


def test_argument_errors_over_http_carry_codes(live_stack: LiveStack) -> None:
    f.RepositoryFactory(name="coded")
    cases = {
        '{ pushes(repository: "no-such-repo") { nodes { id } } }': "NOT_FOUND",
        '{ job(id: 1, guid: "x") { id } }': "BAD_USER_INPUT",
        '{ pushes(repository: "coded", after: "bogus") { nodes { id } } }': "INVALID_CURSOR",
        "{ job(id: 1) { nope } }": "GRAPHQL_VALIDATION_FAILED",
        "{ job(id: 1) { id }": "GRAPHQL_PARSE_FAILED",
    }
    for query, code in cases.items():
        response = requests.post(f"{live_stack.url}/graphql", json={"query": query}, timeout=30)
        assert _only_error(response)["extensions"]["code"] == code, (query, response.text)


def test_an_oversized_websocket_message_closes_with_1009(live_stack: LiveStack) -> None:
    async def scenario() -> tuple[int | None, str | None, dict[str, Any]]:
        client = await GraphQLWS.connect(live_stack.url, max_size=None)
        query = "{ __typename }" + " " * WEBSOCKET_MAX_MESSAGE_BYTES
        await client.send({"id": "1", "type": "subscribe", "payload": {"query": query}})
        with contextlib.suppress(websockets.ConnectionClosed):
            await client.receive()
        code, reason = client.ws.close_code, client.ws.close_reason
        # A fresh connection works as before.
        other = await GraphQLWS.connect(live_stack.url)
        await other.subscribe("2", "query Q { __typename }", {})
        answer = await other.receive()
        await other.close()
        return code, reason, answer

    code, reason, answer = asyncio.run(scenario())

    assert code == 1009
    assert reason is not None and reason.endswith(f"exceeds payload limit of {WEBSOCKET_MAX_MESSAGE_BYTES} octets")
    assert answer["payload"]["data"] == {"__typename": "Query"}


def test_an_unknown_operation_name_over_websocket_is_an_error(live_stack: LiveStack) -> None:
    async def scenario() -> dict[str, Any]:
        client = await GraphQLWS.connect(live_stack.url)
        await client.send(
            {"id": "1", "type": "subscribe", "payload": {"query": "query A { __typename }", "operationName": "B"}}
        )
        message = await client.receive()
        await client.close()
        return message

    message = asyncio.run(scenario())

    assert message["type"] == "error"
    assert message["payload"] == [
        {"message": 'Unknown operation named "B".', "extensions": {"code": "OPERATION_NOT_FOUND"}}
    ]
    assert " ERROR " not in live_stack.daphne.log()
