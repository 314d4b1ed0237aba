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
