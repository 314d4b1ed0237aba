"""GraphQL over HTTP against a real Daphne: POST and GET, no mutation over GET, gzip, CORS, masking."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

from tests.factories import JobFactory
from tests.schema.test_errors import break_machine_row
from tests.support.graphql import graphql_post
from tests.support.processes import RunningServer, run_daphne

pytestmark = pytest.mark.slow


@pytest.fixture
def server(live_server_daphne: RunningServer) -> RunningServer:
    call_command("load_reference_data", verbosity=0)
    return live_server_daphne


def test_post_and_get_answer_the_same(server: RunningServer) -> None:
    query = "{ failureClassifications { databaseId name } }"
    posted = graphql_post(server.url, query)
    got = requests.get(
        f"{server.url}/graphql", params={"query": query}, headers={"Accept": "application/json"}, timeout=30
    )

    assert posted.status_code == got.status_code == 200
    assert posted.headers["Content-Type"] == "application/json"
    assert posted.json() == got.json()
    assert len(got.json()["data"]["failureClassifications"]) == 8


def test_a_mutation_over_get_is_refused(server: RunningServer) -> None:
    response = requests.get(
        f"{server.url}/graphql",
        params={"query": "mutation { anything }"},
        headers={"Accept": "application/json"},
        timeout=30,
    )

    # GraphQL over HTTP: a mutation over GET is 405, with a GraphQL-shaped error.
    assert response.status_code == 405
    assert response.json() == {
        "errors": [
            {"message": "mutations are not allowed when using GET", "extensions": {"code": "OPERATION_NOT_ALLOWED"}}
        ]
    }


def test_bad_json_is_a_400(server: RunningServer) -> None:
    response = requests.post(
        f"{server.url}/graphql", data=b"{not json", headers={"Content-Type": "application/json"}, timeout=30
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "errors": [{"message": "Unable to parse request body as JSON", "extensions": {"code": "BAD_REQUEST"}}]
    }


def test_large_responses_are_gzipped(server: RunningServer) -> None:
    response = graphql_post(server.url, "{ repositories(includeInactive: true) { name url tcRootUrl } }", stream=True)
    compressed = response.raw.read(decode_content=False)

    assert response.headers["Content-Encoding"] == "gzip"
    assert len(gzip.decompress(compressed)) > 3 * len(compressed)


def test_cors_is_off_by_default(server: RunningServer) -> None:
    response = requests.options(
        f"{server.url}/graphql",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )

    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_configured_origins(transactional_db: None, tmp_path: Path) -> None:
    with run_daphne(tmp_path, env={"CORS_ALLOWED_ORIGINS": "https://treeherder.example"}) as cors_server:
        allowed = requests.options(
            f"{cors_server.url}/graphql",
            headers={"Origin": "https://treeherder.example", "Access-Control-Request-Method": "POST"},
            timeout=30,
        )
        other = requests.options(
            f"{cors_server.url}/graphql",
            headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
            timeout=30,
        )

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://treeherder.example"
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.fixture
def production_server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    call_command("load_reference_data", verbosity=0)
    with run_daphne(tmp_path, env={"DEBUG": "false"}) as running:
        yield running


def test_production_masks_internal_errors_over_http(production_server: RunningServer) -> None:
    job = JobFactory()
    break_machine_row(job)

    query = f"{{ job(id: {job.id}) {{ guid machine {{ name }} }} }}"
    body = graphql_post(production_server.url, query).json()

    column = query.index("machine") + 1
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": column}],
            "path": ["job", "machine"],
            "extensions": {"code": "INTERNAL"},
        }
    ]
    assert body["data"] == {"job": None}
    assert "a referenced row is missing" in production_server.log()
