"""The document limiter measures each fragment once; the cost walk too; every refusal has its code.

In-process (Django's test client), so query counts can be asserted: nothing is refused after a
database query. The same documents against a real Daphne: tests/schema/live/test_expensive_documents.py.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client
from graphql import parse

from schema.document_limits import (
    MAX_FRAGMENTS,
    MAX_OPERATIONS,
    MAX_SELECTIONS,
    MAX_VARIABLE_VALUES,
    Measure,
    measure_document,
)
from schema.errors import REPEATS
from schema.limits import query_cost
from schema.schema import schema
from tests.support.expensive import Expensive, expensive_queries, fanout
from tests.support.graphql import graphql_request

pytestmark = pytest.mark.django_db


def test_fanout_is_measured_exactly_without_walking_every_spread() -> None:
    document = parse(fanout(30, "Query", "a: __typename b: __typename", "query Q { ...F0 }"))

    # 2^31 field selections and as many aliases, found by measuring 31 fragments once each.
    assert measure_document(document) == {"Q": Measure(size=2**31, depth=0, aliases=2**31)}


def test_depth_counts_through_fragments_and_ignores_introspection() -> None:
    document = parse(
        "{ job(id: 1) { ...P } __schema { types { fields { type { name } } } } }"
        " fragment P on Job { push { jobs { nodes { id } } } }"
    )

    assert measure_document(document)["anonymous"].depth == 4


def test_a_long_fragment_chain_is_measured_without_recursion() -> None:
    chain = " ".join(f"fragment C{i} on Query {{ ...C{i + 1} }}" for i in range(3000))
    document = parse("{ ...C0 } " + chain + " fragment C3000 on Query { __typename }", max_tokens=None)

    assert measure_document(document)["anonymous"] == Measure(size=1, depth=0, aliases=0)


def test_cycles_count_nothing() -> None:
    document = parse("{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }")

    assert measure_document(document)["anonymous"].size == 1


def test_the_cost_of_a_fragment_is_computed_once_and_is_exact() -> None:
    # Each level spreads the next twice: 2^20 spreads of a job page of 10, computed in 21 steps.
    document = parse(
        '{ pushes(repository: "try", first: 1) { nodes { ...F0 } } }'
        + fanout(20, "Push", "jobs(first: 10) { nodes { databaseId } }", "")
    )

    # pushes 1 + nodes 1 + 2^20 x (jobs 1 + 10 job nodes).
    assert query_cost(schema._schema, document, None, {}) == 2 + 2**20 * 11


@pytest.mark.parametrize("doc", expensive_queries(), ids=lambda doc: doc.name)
def test_each_expensive_document_is_refused_with_its_code(doc: Expensive, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = Client().post("/graphql", data=doc.payload(), content_type="application/json")

    body = response.json()
    assert body.get("data") is None, body
    assert body["errors"][0]["extensions"]["code"] == doc.code, body


def test_limits_name_their_bounds() -> None:
    size = graphql_request("{ " + "__typename " * (MAX_SELECTIONS + 1) + "}")["errors"][0]
    operations = " ".join(f"query Q{i} {{ __typename }}" for i in range(MAX_OPERATIONS + 1))
    fragments = " ".join(f"fragment X{i} on Query {{ __typename }}" for i in range(MAX_FRAGMENTS + 1))
    ops = graphql_request(operations)["errors"][0]
    frags = graphql_request("{ __typename } " + fragments)["errors"][0]
    values = graphql_request(
        "query ($ids: [Int!]) { jobs(pushIds: $ids) { nodes { id } } }", {"ids": list(range(MAX_VARIABLE_VALUES + 1))}
    )["errors"][0]

    assert size["extensions"] == {
        "code": "QUERY_SIZE_LIMIT_EXCEEDED",
        "size": MAX_SELECTIONS + 1,
        "limit": MAX_SELECTIONS,
    }
    assert ops["extensions"]["code"] == "OPERATION_LIMIT_EXCEEDED"
    assert frags["extensions"]["code"] == "FRAGMENT_LIMIT_EXCEEDED"
    assert values["extensions"] == {"code": "VARIABLES_LIMIT_EXCEEDED", "limit": MAX_VARIABLE_VALUES}


def test_values_at_the_variables_limit_are_allowed(reference_data: None) -> None:
    body = graphql_request(
        "query ($f: JobFilter) { jobs(pushIds: [1], filter: $f) { nodes { id } } }",
        {"f": {"tier": list(range(MAX_VARIABLE_VALUES - 2))}},  # f, its tier list and the items
    )

    assert body == {"data": {"jobs": {"nodes": []}}, "extensions": {"cost": {"requested": 101, "limit": 100_000}}}


def test_depth_and_alias_refusals_carry_codes() -> None:
    deep = graphql_request("{ " + "job(id: 1) { push { jobs { nodes { " * 4 + "id" + " } } } }" * 4 + " }")
    aliased = graphql_request("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }")

    assert deep["errors"][0]["extensions"] == {"code": "QUERY_DEPTH_LIMIT_EXCEEDED", "depth": 16, "limit": 12}
    assert aliased["errors"][0]["extensions"] == {"code": "QUERY_ALIAS_LIMIT_EXCEEDED", "aliases": 31, "limit": 30}


def test_repeated_refusals_are_logged_once_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    REPEATS.clear()
    with caplog.at_level(logging.WARNING, logger="treeherder.graphql"):
        for _ in range(5):
            graphql_request("{ jobs(first: 2001) { nodes { id } } }")
        REPEATS.admit("PAGE_SIZE_LIMIT_EXCEEDED\0jobs: `first: 2001` exceeds the page size limit of 2000.", now=1e12)

    lines = [r.getMessage() for r in caplog.records if r.name == "treeherder.graphql"]
    assert lines == [
        "GraphQL request refused (PAGE_SIZE_LIMIT_EXCEEDED): jobs: `first: 2001` exceeds the page size limit of 2000."
    ]
    # A minute later, the next one is logged with how many were left out.
    assert REPEATS.admit("other", now=0.0) == (True, 0)
    assert REPEATS.admit("other", now=1.0) == (False, 0)
    assert REPEATS.admit("other", now=61.0) == (True, 1)


def test_job_failures_defaults_are_in_the_sdl() -> None:
    sdl = str(schema)

    assert "tiers: [Int!] = [1, 2]" in sdl
    assert "results: [JobResult!] = [TESTFAILED, BUSTED, EXCEPTION]" in sdl


@pytest.mark.parametrize("query", ['{{ job(id: "{n}") {{ id }} }}', '{{ push(id: "{n}") {{ id }} }}'])
def test_ids_beyond_64_bits_are_refused_before_any_sql(query: str, django_assert_num_queries: Any) -> None:
    # No query reaches the database, so MariaDB and SQLite (which cannot bind such an int) alike.
    with django_assert_num_queries(0):
        body = graphql_request(query.format(n=2**63))

    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "limit": 2**63 - 1}
