"""The audit-trail and to-do list fields cost the same number of SQL queries for 1 and 10 pushes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.schema.builders import build_tree
from tests.support.graphql import graphql_request

AUDIT_VIEW = """
query ($repository: String!, $first: Int!) {
  pushes(repository: $repository, first: $first) {
    nodes {
      investigatedTests { test who jobTypeName }
      jobs(first: 10) { nodes { noteHistory { who deletedBy } bugLinkHistory { who deletedBy } } }
    }
  }
}
"""
# repository, pushes, job pages, then one each for note history, bug link history and
# investigated tests.
AUDIT_VIEW_QUERIES = 6


@pytest.mark.parametrize("pushes", [1, 10])
def test_audit_fields_query_count_does_not_grow_with_pushes(
    reference_data: None, django_assert_num_queries: Any, pushes: int
) -> None:
    build_tree(pushes=pushes, jobs_per_push=2)

    with django_assert_num_queries(AUDIT_VIEW_QUERIES):
        body = graphql_request(AUDIT_VIEW, {"repository": "autoland-test", "first": pushes})

    assert "errors" not in body, body["errors"]
    nodes = body["data"]["pushes"]["nodes"]
    assert len(nodes) == pushes
    assert sum(len(job["noteHistory"]) for node in nodes for job in node["jobs"]["nodes"]) == pushes
