"""Documents built to be expensive to validate or plan, each with the code it must be refused with.

Used by the regression tests over HTTP and WebSocket (tests/schema/live/test_expensive_documents.py);
bench/limits times documents of the same kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def fanout(n: int, on: str, leaf: str, root: str) -> str:
    """`root` spreads F0; each fragment Fi spreads F(i+1) twice; Fn selects `leaf`: 2^n leaves."""
    frags = [f"fragment F{i} on {on} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    frags.append(f"fragment F{n} on {on} {{ {leaf} }}")
    return f"{root} " + " ".join(frags)


@dataclass(frozen=True)
class Expensive:
    name: str
    query: str
    code: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"query": self.query, "variables": self.variables, "operationName": self.operation_name}


def _variables_doc(count: int) -> tuple[str, dict[str, bool]]:
    names = [f"v{i}" for i in range(count)]
    query = "query (" + " ".join(f"${v}: Boolean!" for v in names) + ") { "
    query += " ".join(f"__typename @skip(if: ${v})" for v in names) + " }"
    return query, dict.fromkeys(names, False)


def expensive_queries() -> list[Expensive]:
    """Queries (and documents of no operation type the server can run), each refused before execution."""
    variables_query, variables = _variables_doc(60)
    chain = " ".join(f"fragment C{i} on Query {{ ...C{i + 1} }}" for i in range(150))
    return [
        Expensive("fan-out n=30", fanout(30, "Query", "__typename", "query { ...F0 }"), "QUERY_SIZE_LIMIT_EXCEEDED"),
        Expensive(
            "fan-out n=30 under a job page, wide and deep",
            '{ jobs(repository: "try", first: 1) { nodes { ...F0 } } }'
            + fanout(30, "Job", "id push { id revision jobs(first: 2) { nodes { id push { id } } } }", ""),
            "QUERY_SIZE_LIMIT_EXCEEDED",
        ),
        Expensive(
            "fan-out n=12 of 25 aliased fields",
            fanout(12, "Query", " ".join(f"a{i}: __typename" for i in range(25)), "query { ...F0 }"),
            "QUERY_SIZE_LIMIT_EXCEEDED",
        ),
        Expensive(
            "a chain of 150 fragments",
            "query { ...C0 } " + chain + " fragment C150 on Query { __typename }",
            "FRAGMENT_LIMIT_EXCEEDED",
        ),
        Expensive("one field 1,500 times", "{ " + "__typename " * 1500 + "}", "QUERY_SIZE_LIMIT_EXCEEDED"),
        Expensive(
            "a list field 450 times (pairwise overlap checks)",
            "{ " + "failureClassifications { name } " * 450 + "}",
            "QUERY_COMPLEXITY_LIMIT_EXCEEDED",
        ),
        Expensive(
            "300 operations",
            " ".join(f"query Q{i} {{ __typename }}" for i in range(300)),
            "OPERATION_LIMIT_EXCEEDED",
            operation_name="Q5",
        ),
        Expensive(
            "200 unused fragments",
            " ".join(f"fragment X{i} on Query {{ __typename }}" for i in range(200)) + " { __typename }",
            "FRAGMENT_LIMIT_EXCEEDED",
        ),
        Expensive(
            "two operations, no operationName",
            "query A { __typename } query B { __typename }",
            "OPERATION_NAME_REQUIRED",
        ),
        Expensive("60 variables", variables_query, "VARIABLE_DEFINITION_LIMIT_EXCEEDED", variables),
        Expensive(
            "100,000 ids in a variable",
            "query ($ids: [Int!]!) { jobs(pushIds: $ids) { nodes { id } } }",
            "VARIABLES_LIMIT_EXCEEDED",
            {"ids": list(range(100_000))},
        ),
        Expensive(
            "101 pushIds",
            f"{{ jobs(pushIds: {list(range(101))}) {{ nodes {{ id }} }} }}",
            "LIST_ARGUMENT_LIMIT_EXCEEDED",
        ),
        Expensive(
            "a directive 250 times on one field",
            "{ __typename " + "@include(if: true) " * 250 + "}",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        Expensive(
            "nesting 196 deep",
            "{ " + "job(id: 1) { push { jobs { nodes { " * 49 + "id" + " } } } }" * 49 + " }",
            "QUERY_DEPTH_LIMIT_EXCEEDED",
        ),
        Expensive(
            "31 aliases",
            "{ " + " ".join(f"a{i}: failureClassifications {{ name }}" for i in range(31)) + " }",
            "QUERY_ALIAS_LIMIT_EXCEEDED",
        ),
        Expensive(
            "a 100,000-character search",
            "query ($f: JobFilter) { jobs(pushIds: [1], filter: $f) { nodes { id } } }",
            "STRING_ARGUMENT_LIMIT_EXCEEDED",
            {"f": {"search": "x" * 100_000}},
        ),
        Expensive(
            "a 20,000-character literal",
            '{ pushes(repository: "' + "r" * 20_000 + '") { nodes { id } } }',
            "STRING_ARGUMENT_LIMIT_EXCEEDED",
        ),
        Expensive("2,500 tokens", "{ " + "__typename " * 2500 + "}", "QUERY_TOKEN_LIMIT_EXCEEDED"),
        Expensive(
            "200,000 jobs",
            '{ pushes(repository: "try", first: 100) { nodes { jobs(first: 2000) { nodes { id } } } } }',
            "QUERY_COST_LIMIT_EXCEEDED",
        ),
    ]
