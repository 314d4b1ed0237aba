"""Every limit is checked before execution and answered with an error that names it."""

from __future__ import annotations

from typing import Any

import pytest

from schema.limits import MAX_QUERY_COST
from schema.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from tests.support.graphql import graphql_request

pytestmark = pytest.mark.django_db


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


def test_depth_limit(django_assert_num_queries: Any) -> None:
    nested = "databaseId"
    for _ in range(MAX_DEPTH):
        nested = f"push {{ jobs {{ nodes {{ {nested} }} }} }}"
    with django_assert_num_queries(0):
        body = graphql_request(f"{{ job(id: 1) {{ {nested} }} }}")

    assert _error(body)["message"] == f"'anonymous' exceeds maximum operation depth of {MAX_DEPTH}"


def test_alias_limit(django_assert_num_queries: Any) -> None:
    aliases = " ".join(f"a{i}: failureClassifications {{ name }}" for i in range(MAX_ALIASES + 1))
    with django_assert_num_queries(0):
        body = graphql_request(f"{{ {aliases} }}")

    assert _error(body)["message"] == f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"


def test_token_limit(django_assert_num_queries: Any) -> None:
    fields = " ".join(["name"] * MAX_TOKENS)
    with django_assert_num_queries(0):
        body = graphql_request(f"{{ failureClassifications {{ {fields} }} }}")

    assert _error(body)["message"] == (
        f"Syntax Error: Document contains more than {MAX_TOKENS} tokens. Parsing aborted."
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            '{ pushes(repository: "try", first: 101) { nodes { id } } }',
            "pushes: `first: 101` exceeds the page size limit of 100.",
        ),
        ("{ jobs(first: 2001) { nodes { id } } }", "jobs: `first: 2001` exceeds the page size limit of 2000."),
        (
            '{ pushes(repository: "try") { nodes { jobs(first: 5000) { nodes { id } } } } }',
            "jobs: `first: 5000` exceeds the page size limit of 2000.",
        ),
        ("{ jobs(first: -1) { nodes { id } } }", "jobs: `first` must not be negative (got -1)."),
    ],
)
def test_page_size_limits(query: str, message: str, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        body = graphql_request(query)

    error = _error(body)
    assert error["message"] == message
    assert error["extensions"]["code"] in ("PAGE_SIZE_LIMIT_EXCEEDED", "PAGE_SIZE_INVALID")


def test_page_size_from_a_variable_is_checked() -> None:
    body = graphql_request("query ($n: Int!) { jobs(first: $n) { nodes { id } } }", {"n": 2500})

    assert _error(body)["message"] == "jobs: `first: 2500` exceeds the page size limit of 2000."


def test_query_cost_limit(django_assert_num_queries: Any) -> None:
    query = '{ pushes(repository: "try", first: 100) { nodes { jobs(first: 2000) { nodes { id } } } } }'
    with django_assert_num_queries(0):
        body = graphql_request(query)

    error = _error(body)
    # 1 connection + 100 pushes + 100 job connections + 200,000 jobs.
    assert error["extensions"] == {"code": "QUERY_COST_LIMIT_EXCEEDED", "cost": 200_201, "limit": MAX_QUERY_COST}
    assert error["message"].startswith(f"Query cost 200201 exceeds the limit of {MAX_QUERY_COST}.")
    assert body["extensions"] == {"cost": {"requested": 200_201, "limit": MAX_QUERY_COST}}


COSTED = """
query ($n: Int!) {
  pushes(repository: "try", first: 10) {
    nodes { databaseId jobs(first: $n) { nodes { ...JobBits } } commits { revision } }
  }
}
fragment JobBits on Job { databaseId jobType { name } logs { name } }
"""


def test_cost_is_reported_on_every_query(reference_data: None) -> None:
    body = graphql_request(COSTED, {"n": 100})

    assert body["data"] == {"pushes": {"nodes": []}}
    # pushes 1 + nodes 10 + jobs 10 + job nodes 1,000 + jobType 1,000 + logs 1,000 x 10
    # + commits 10 x 200 = 14,021.
    assert body["extensions"] == {"cost": {"requested": 14_021, "limit": MAX_QUERY_COST}}


def test_job_table_columns_cost_one_per_hundred_rows(reference_data: None) -> None:
    body = graphql_request("{ jobTable(pushIds: [1], first: 20000) { id state jobTypes { name } } }")

    # table 1 + 2 columns x 200 + jobTypes 1.
    assert body["extensions"] == {"cost": {"requested": 402, "limit": MAX_QUERY_COST}}


def test_limit_errors_are_not_masked_and_validation_errors_stay_precise() -> None:
    body = graphql_request("{ job(id: 1) { nope } }")

    assert _error(body)["message"] == "Cannot query field 'nope' on type 'Job'. Did you mean 'notes'?"


def test_client_errors_are_logged_as_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        graphql_request("{ jobs(first: 2001) { nodes { id } } }")

    records = [r for r in caplog.records if r.name == "treeherder.graphql"]
    assert [r.getMessage() for r in records] == [
        "GraphQL request refused (PAGE_SIZE_LIMIT_EXCEEDED): jobs: `first: 2001` exceeds the page size limit of 2000."
    ]
    assert records[0].levelname == "WARNING"
    assert not [r for r in caplog.records if r.name == "strawberry.execution"]


def test_jobs_push_ids_are_bounded() -> None:
    body = graphql_request(f"{{ jobs(pushIds: {list(range(101))}) {{ nodes {{ id }} }} }}")

    assert _error(body)["message"] == "jobs: 101 pushIds exceed the limit of 100."


def test_unpaginated_lists_cost_their_largest_size(reference_data: None) -> None:
    body = graphql_request("{ repositories { name } failureClassifications { name } }")

    assert body["extensions"] == {"cost": {"requested": 200 + 8, "limit": MAX_QUERY_COST}}
