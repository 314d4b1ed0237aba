"""Parsing what a client asked for: the operation type, and whether its subscription can be shared.

A subscription without a cursor (`after:`) is shareable: every client that sent the same document
and variables (as the same user) gets the same results, so the server executes it once per event
for all of them. One with a cursor replays from its own point and runs alone until it has caught up;
when its cursor came in a variable, it then joins the shared execution of the same request without
the cursor (its *twin*).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    parse,
)

from schema.limits import MAX_TOKENS

# Parsed documents are cached by their text; only documents up to this size, so the cache stays small.
CACHEABLE_QUERY_CHARS = 8_000


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

    def share_key(self, identity: str) -> str:
        return json.dumps(
            [identity, self.query, self.variables, self.operation_name], sort_keys=True, separators=(",", ":")
        )


def _parse_uncached(query: str) -> DocumentNode | None:
    try:
        # The token limit applies here too: this parse runs before Strawberry's MaxTokensLimiter sees
        # the document, and a megabyte of tokens would block the event loop for seconds.
        return parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return None  # the schema reports the error precisely when it runs the operation


_parse_cached = lru_cache(maxsize=256)(_parse_uncached)


def _parse(query: str) -> DocumentNode | None:
    return _parse_cached(query) if len(query) <= CACHEABLE_QUERY_CHARS else _parse_uncached(query)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


def _root_fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str] = frozenset()
) -> Iterator[FieldNode]:
    """The operation's root fields, through inline fragments and named fragments."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                yield from _root_fields(fragments[name].selection_set, fragments, seen | {name})


@dataclass(frozen=True)
class Plan:
    is_subscription: bool
    shareable: bool
    # For a subscription with a cursor given in a variable: the same request without the cursor.
    twin: OperationRequest | None = None


_NOT_GIVEN = object()


def plan(request: OperationRequest) -> Plan:
    document = _parse(request.query)
    operation = _operation(document, request.operation_name) if document else None
    if document is None or operation is None or operation.operation is not OperationType.SUBSCRIPTION:
        return Plan(is_subscription=False, shareable=False)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    defaults = {d.variable.name.value: d.default_value for d in operation.variable_definitions or ()}
    twin: OperationRequest | None = None
    for root in _root_fields(operation.selection_set, fragments):
        for argument in root.arguments or ():
            if argument.name.value != "after" or isinstance(argument.value, NullValueNode):
                continue
            if not isinstance(argument.value, VariableNode):
                return Plan(is_subscription=True, shareable=False)  # a literal cursor: no twin
            name = argument.value.name.value
            given = request.variables.get(name, _NOT_GIVEN)
            if given is _NOT_GIVEN:
                default = defaults.get(name)
                if default is not None and not isinstance(default, NullValueNode):
                    return Plan(is_subscription=True, shareable=False)  # the cursor is the default
            elif given is not None:
                twin = replace(request, variables={k: v for k, v in request.variables.items() if k != name})
    if twin is not None:
        return Plan(is_subscription=True, shareable=False, twin=twin)
    return Plan(is_subscription=True, shareable=True)
