"""The graphql-core executor the schema runs with: Strawberry's, with a per-event memo for
subscriptions.

graphql-core 3.3 memoises `collect_subfields` in `Executor._relevant_sub_fields`, keyed by the
identity of each field list and keeping that list alive (lists cannot be weakly referenced). The
memo is meant to live for one execution, but `build_per_event_executor` makes each subscription
event's executor as a shallow copy, so every event of a subscription adds its own entries to the
one dict of the subscription's executor: a shared execution (server/ws/sharing.py) that runs for
hours grows by a few KiB per event, without bound (bench/soak measured Daphne +2.4 MiB a minute at
6 msg/s). Giving each event's executor a memo of its own keeps the memoisation within an event (what
it is for: lists of values) and lets it go with the event. Written here because graphql-core has no
option for it; tests/schema/test_execution.py fails if an upgrade renames the attribute.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class PerEventMemoExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def build_per_event_executor(self, payload: Any) -> PerEventMemoExecutionContext:
        executor = super().build_per_event_executor(payload)
        # Checked so that an upgrade that renames or removes the memo fails loudly (in the tests),
        # not silently back into the leak.
        assert isinstance(executor._relevant_sub_fields, dict)
        executor._relevant_sub_fields = {}  # graphql-core has no public hook for it
        return executor  # type: ignore[return-value]
