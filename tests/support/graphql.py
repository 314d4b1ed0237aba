"""A GraphQL-over-HTTP client the way outsiders call the API."""

from __future__ import annotations

from typing import Any

import requests


def graphql_post(
    base_url: str, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
) -> requests.Response:
    return requests.post(
        f"{base_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Accept": "application/json"},
        timeout=30,
        **kwargs,
    )


def graphql_request(query: str, variables: dict[str, Any] | None = None, **headers: Any) -> dict[str, Any]:
    """POST a query to /graphql in-process (Django's test client): the same view, URL and middleware
    as over HTTP, but in the test's thread and transaction, so query counts can be asserted."""
    from django.test import Client

    response = Client().post(
        "/graphql",
        data={"query": query, "variables": variables or {}},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body
