"""Parsing what a client asked for: the operation type, and whether its subscription can be shared.

A subscription without a cursor (`after:`) is shareable: every client that sent the same document
and variables gets the same results, so the server executes it once per event for all of them.
One with a cursor replays from its own point and runs alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
)


@dataclass(frozen=True)
class OperationRequest:
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None

    @classmethod
    def from_payload(cls, payload: Any) -> OperationRequest:
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise ValueError("payload.query must be a string")
        variables = payload.get("variables") or {}
        operation_name = payload.get("operationName")
        if not isinstance(variables, dict) or not (operation_name is None or isinstance(operation_name, str)):
            raise ValueError("payload.variables must be an object and operationName a string")
        return cls(query=payload["query"], variables=variables, operation_name=operation_name)

    def share_key(self) -> str:
        return json.dumps([self.query, self.variables, self.operation_name], sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=512)
def _parse(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLError:
        return None  # the schema reports the syntax error precisely when it runs the operation


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


@dataclass(frozen=True)
class Plan:
    is_subscription: bool
    shareable: bool


def plan(request: OperationRequest) -> Plan:
    document = _parse(request.query)
    operation = _operation(document, request.operation_name) if document else None
    if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
        return Plan(is_subscription=False, shareable=False)
    for selection in operation.selection_set.selections:
        for argument in getattr(selection, "arguments", ()) or ():
            if argument.name.value != "after":
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                if request.variables.get(value.name.value) is not None:
                    return Plan(is_subscription=True, shareable=False)
            elif not isinstance(value, NullValueNode):
                return Plan(is_subscription=True, shareable=False)
    return Plan(is_subscription=True, shareable=True)
