"""The job view's query costs the same number of SQL queries for 1, 10 and 50 pushes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.schema.builders import build_tree
from tests.schema.queries import JOB_VIEW_OBJECTS, JOB_VIEW_TABLE
from tests.support.graphql import graphql_request

# repository, pushes, commits, status counts, job pages (all pushes in one), then one each for job
# types, groups, platforms, options, signatures and failure classifications.
OBJECT_VIEW_QUERIES = 11
# repository, pushes, commits (for commitCount), status counts, the job table, then job types,
# groups, platforms, options and signatures.
TABLE_VIEW_QUERIES = 10


@pytest.mark.parametrize("pushes", [1, 10, 50])
def test_object_job_view_query_count_does_not_grow_with_pushes(
    reference_data: None, django_assert_num_queries: Any, pushes: int
) -> None:
    build_tree(pushes=pushes, jobs_per_push=2)

    with django_assert_num_queries(OBJECT_VIEW_QUERIES):
        body = graphql_request(JOB_VIEW_OBJECTS, {"repository": "autoland-test", "first": pushes})

    assert "errors" not in body, body["errors"]
    edges = body["data"]["pushes"]["edges"]
    assert len(edges) == pushes
    assert sum(len(e["node"]["jobs"]["nodes"]) for e in edges) == pushes * 2


@pytest.mark.parametrize("pushes", [1, 10, 50])
def test_table_job_view_query_count_does_not_grow_with_pushes(
    reference_data: None, django_assert_num_queries: Any, pushes: int
) -> None:
    build_tree(pushes=pushes, jobs_per_push=2)

    with django_assert_num_queries(TABLE_VIEW_QUERIES):
        body = graphql_request(JOB_VIEW_TABLE, {"repository": "autoland-test", "first": pushes})

    assert "errors" not in body, body["errors"]
    table = body["data"]["pushes"]["jobTable"]
    assert table["count"] == pushes * 2
    assert len(table["id"]) == len(table["state"]) == len(table["jobType"]) == pushes * 2
