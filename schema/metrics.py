"""GraphQL request metrics: per operation name, the count (by outcome), the duration and the cost.

Operation names come from clients, so the label is bounded (apps.core.metrics.operation_label:
sanitised, at most 200 distinct names per process, then `other`). Subscriptions are not timed here:
their operation lasts as long as the subscription (they show in treeherder_subscriptions_open).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import OperationType
from strawberry.extensions import SchemaExtension

from apps.core.metrics import GRAPHQL_COST, GRAPHQL_DURATION, GRAPHQL_REQUESTS, operation_label
from schema.limits import query_cost


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        try:
            kind = ctx.operation_type
        except Exception:  # noqa: BLE001 - a document that did not parse has no operation type
            kind = None
        if kind == OperationType.SUBSCRIPTION:
            return
        name = operation_label(ctx.operation_name)
        result = ctx.result
        errors = getattr(result, "errors", None) if result is not None else None
        outcome = "error" if errors and getattr(result, "data", None) is None else "partial" if errors else "ok"
        GRAPHQL_REQUESTS.labels(operation=name, type=kind.value if kind else "invalid", outcome=outcome).inc()
        GRAPHQL_DURATION.labels(operation=name).observe(time.perf_counter() - started)
        if ctx.graphql_document is not None:
            try:
                cost = query_cost(ctx.schema._schema, ctx.graphql_document, ctx.operation_name, ctx.variables)
            except Exception:  # noqa: BLE001 - over a limit (LimitError) or invalid: no cost to record
                return
            GRAPHQL_COST.labels(operation=name).observe(cost)
