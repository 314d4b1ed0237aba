"""The executor's collect_subfields memo lives for one subscription event, not for the whole
subscription (schema/execution.py): a long-running shared execution must not keep every event's
field lists. Counted exactly: entries in the memo, not bytes."""

from __future__ import annotations

from graphql import ExecutionResult, build_schema, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.execution import PerEventMemoExecutionContext
from schema.schema import schema

SDL = """
type Query { noop: String }
type Inner { name: String }
type Thing { inner: Inner, label: String }
type Subscription { thing: Thing }
"""
DOCUMENT = parse("subscription { thing { label inner { name } } }")
EVENTS = 50


def _run_events(executor_class: type[StrawberryGraphQLCoreExecutionContext]) -> tuple[int, list[int]]:
    """Execute EVENTS events the way graphql-core's map_source_to_response_event does: a per-event
    executor from the subscription's executor for each payload. Returns the subscription
    executor's memo size and each event executor's."""
    executor = executor_class.build(build_schema(SDL), DOCUMENT)
    assert isinstance(executor, executor_class), executor
    per_event = []
    for n in range(EVENTS):
        event_executor = executor.build_per_event_executor({"thing": {"label": str(n), "inner": {"name": "x"}}})
        result = event_executor.execute_operation(False)
        assert isinstance(result, ExecutionResult)  # synchronous resolvers: no awaitable
        assert result.errors is None and result.data == {"thing": {"label": str(n), "inner": {"name": "x"}}}
        per_event.append(len(event_executor._relevant_sub_fields))
    return len(executor._relevant_sub_fields), per_event


def test_each_event_has_its_own_memo_and_the_subscription_keeps_none() -> None:
    kept, per_event = _run_events(PerEventMemoExecutionContext)
    assert kept == 0
    # Two object fields below the root (thing, inner): two entries, for that event only.
    assert per_event == [2] * EVENTS


def test_without_it_graphql_core_keeps_two_entries_per_event() -> None:
    """What schema/execution.py works around. If an upgrade of graphql-core makes this fail, the
    memo no longer outlives an event upstream and the workaround can go."""
    kept, _ = _run_events(StrawberryGraphQLCoreExecutionContext)
    assert kept == 2 * EVENTS


def test_the_schema_runs_with_it() -> None:
    assert schema.execution_context_class is PerEventMemoExecutionContext
