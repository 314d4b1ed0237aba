"""Property-based: generated documents (valid and invalid ones from the committed SDL by
hypothesis-graphql, and valid ones cut short) and generated request bodies, against a real Daphne.

For every request: no 5xx, a JSON body shaped like a GraphQL response, a code on every error, no
"Unexpected error." (a client cannot cause a server fault), and an answer within SAFETY_BOUND
seconds: a safety net against unbounded work, not a timing test (bench/limits measures). The
examples are derandomised and bounded, so the run is the same every time and takes seconds.
"""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import pytest
import requests
from django.core.management import call_command
from graphql import StringValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from schema.export import SDL_PATH
from tests.support.processes import RunningServer

pytestmark = pytest.mark.slow

SAFETY_BOUND = 2.0
SDL = SDL_PATH.read_text(encoding="utf-8")
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

DATETIMES = st.one_of(
    st.datetimes(timezones=st.just(datetime.UTC)).map(lambda d: d.isoformat()),
    st.text(max_size=12),
).map(lambda text: StringValueNode(value=text))
VALID = from_schema(SDL, custom_scalars={"DateTime": DATETIMES})
# hypothesis-graphql's negative mode: documents that break the schema (wrong types, missing arguments...).
INVALID = from_schema(SDL, custom_scalars={"DateTime": DATETIMES}, mode=Mode.NEGATIVE)
# A valid document cut short, with a few characters of noise where it ends.
BROKEN = st.tuples(VALID, st.integers(min_value=0, max_value=10_000), st.text(max_size=4)).map(
    lambda parts: parts[0][: parts[1] % (len(parts[0]) + 1)] + parts[2]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
BODIES = st.one_of(
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "query": st.one_of(VALID, BROKEN, JSON_VALUES),
            "variables": JSON_VALUES,
            "operationName": JSON_VALUES,
        },
    ).map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
)


@pytest.fixture
def server(live_server_daphne: RunningServer) -> RunningServer:
    call_command("load_reference_data", verbosity=0)
    return live_server_daphne


def _check(response: requests.Response, elapsed: float) -> None:
    assert response.status_code < 500, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    body: dict[str, Any] = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), body
    for error in body.get("errors") or ():
        assert isinstance(error["message"], str), error
        assert isinstance((error.get("extensions") or {}).get("code"), str), error
        assert error["message"] != "Unexpected error.", error
    assert elapsed < SAFETY_BOUND, elapsed


def _post(url: str, data: bytes) -> None:
    started = time.perf_counter()
    response = requests.post(
        f"{url}/graphql",
        data=data,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        timeout=30,
    )
    _check(response, time.perf_counter() - started)


@FUZZ
@given(query=st.one_of(VALID, INVALID, BROKEN))
def test_generated_documents_over_post(server: RunningServer, query: str) -> None:
    _post(server.url, json.dumps({"query": query}).encode())


@FUZZ
@given(query=st.one_of(VALID, INVALID, BROKEN))
def test_generated_documents_over_get(server: RunningServer, query: str) -> None:
    started = time.perf_counter()
    response = requests.get(
        f"{server.url}/graphql", params={"query": query}, headers={"Accept": "application/json"}, timeout=30
    )
    _check(response, time.perf_counter() - started)


@FUZZ
@given(body=BODIES)
def test_generated_bodies(server: RunningServer, body: bytes) -> None:
    _post(server.url, body)
