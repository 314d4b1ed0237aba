"""Which subscriptions can share one execution: a cursor (however it is given) means a replay of its own."""

from __future__ import annotations

import pytest

from server.ws.operations import OperationRequest, plan

JOB_CHANGED = (
    "subscription ($repo: String!, $after: String) { jobChanged(repository: $repo, after: $after) { cursor } }"
)


def test_without_a_cursor_it_is_shared() -> None:
    how = plan(OperationRequest(query=JOB_CHANGED, variables={"repo": "try"}))
    assert (how.is_subscription, how.shareable, how.twin) == (True, True, None)


def test_a_cursor_in_a_variable_runs_alone_then_joins_its_twin() -> None:
    request = OperationRequest(query=JOB_CHANGED, variables={"repo": "try", "after": "42"})
    how = plan(request)
    assert (how.is_subscription, how.shareable) == (True, False)
    assert how.twin == OperationRequest(query=JOB_CHANGED, variables={"repo": "try"})
    assert how.twin.share_key("") == OperationRequest(query=JOB_CHANGED, variables={"repo": "try"}).share_key("")


@pytest.mark.parametrize(
    "query",
    [
        'subscription { jobChanged(repository: "try", after: "42") { cursor } }',
        'subscription ($after: String = "42") { jobChanged(repository: "try", after: $after) { cursor } }',
        'subscription { ... on Subscription { jobChanged(repository: "try", after: "42") { cursor } } }',
        'subscription { ...F } fragment F on Subscription { jobChanged(repository: "try", after: "42") { cursor } }',
    ],
    ids=["literal", "variable default", "inline fragment", "named fragment"],
)
def test_a_cursor_however_given_is_never_shared(query: str) -> None:
    how = plan(OperationRequest(query=query))
    assert (how.is_subscription, how.shareable, how.twin) == (True, False, None)


def test_a_null_cursor_is_no_cursor() -> None:
    how = plan(OperationRequest(query=JOB_CHANGED, variables={"repo": "try", "after": None}))
    assert how.shareable is True


def test_queries_and_broken_documents_are_not_subscriptions() -> None:
    assert plan(OperationRequest(query="{ liveCursor }")).is_subscription is False
    assert plan(OperationRequest(query="subscription { jobChanged(")).is_subscription is False


def test_a_document_over_the_token_limit_is_not_parsed() -> None:
    # Parsed before Strawberry's limits run: without the token cap, a megabyte of tokens here took
    # seconds of the event loop and hundreds of megabytes.
    huge = "subscription { " + " ".join(f"a{i}: liveCursor" for i in range(20_000)) + " }"
    assert plan(OperationRequest(query=huge)).is_subscription is False


def test_each_user_shares_only_with_itself() -> None:
    request = OperationRequest(query=JOB_CHANGED, variables={"repo": "try"})
    assert request.share_key("User:1") != request.share_key("User:2") != request.share_key("")
