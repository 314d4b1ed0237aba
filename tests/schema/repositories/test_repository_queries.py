"""The repositories queries, over HTTP against a real Daphne."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command

from tests.support.graphql import graphql_post
from tests.support.processes import RunningServer

pytestmark = pytest.mark.slow


@pytest.fixture
def server(live_server_daphne: RunningServer) -> RunningServer:
    call_command("load_reference_data", verbosity=0)
    return live_server_daphne


def test_repositories_lists_the_active_fixture_repositories(server: RunningServer) -> None:
    response = graphql_post(server.url, "{ repositories { name databaseId repositoryGroup { name } } }")

    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    repos = body["data"]["repositories"]
    assert len(repos) == 50
    names = {r["name"] for r in repos}
    assert {"mozilla-central", "autoland", "try", "mozilla-beta", "mozilla-release"} <= names
    assert {"name": "autoland", "databaseId": 77, "repositoryGroup": {"name": "development"}} in repos


def test_include_inactive_lists_all(server: RunningServer) -> None:
    body = graphql_post(server.url, "{ repositories(includeInactive: true) { name activeStatus } }").json()

    repos = body["data"]["repositories"]
    assert len(repos) == 147
    assert {"name": "mozilla-inbound", "activeStatus": "ONHOLD"} in repos


def test_repository_by_name_and_global_id(server: RunningServer) -> None:
    query = """
      query ($name: String!) {
        repository(name: $name) { id databaseId name dvcsType url tcRootUrl isTryRepo }
      }
    """
    body = graphql_post(server.url, query, {"name": "try"}).json()

    repo = body["data"]["repository"]
    assert repo == {
        "id": base64.b64encode(b"Repository:4").decode(),
        "databaseId": 4,
        "name": "try",
        "dvcsType": "hg",
        "url": "https://hg.mozilla.org/try",
        "tcRootUrl": "https://firefox-ci-tc.services.mozilla.com",
        "isTryRepo": True,
    }

    node = graphql_post(server.url, f'{{ node(id: "{repo["id"]}") {{ ... on Repository {{ name }} }} }}').json()
    assert node["data"]["node"] == {"name": "try"}


def test_unknown_repository_is_null(server: RunningServer) -> None:
    body = graphql_post(server.url, '{ repository(name: "no-such-repo") { name } }').json()
    assert body == {"data": {"repository": None}, "extensions": {"cost": {"requested": 1, "limit": 100000}}}
