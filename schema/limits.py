"""Query limits checked before execution: page sizes and a query cost computed from them.

Depth, alias and token limits are Strawberry's own extensions (configured in `schema.schema`).
This module adds what Strawberry lacks (issue strawberry#2988): every paginated field declares its
page size limit, and the query's cost is computed from the page sizes it asks for, before any
resolver runs. The cost is the number of objects the query may return at most:

* an object field counts 1 for each parent object it can appear under;
* a paginated field (`first:`) multiplies its items (`edges`, `nodes`, table columns) by `first`;
* an unpaginated list declares its largest size (e.g. 40 error lines per job) and multiplies by it;
* a job table column counts 1 per 100 rows: a column is one list value, not one object per job.

The cost goes into the response's `extensions.cost` on every executed operation; over the limit,
the operation is refused with an error naming the limit, and nothing runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

MAX_QUERY_COST = 100_000
# Strawberry's own limits (the extensions in `schema.schema`); the WebSocket server's parse uses MAX_TOKENS too.
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000
PAGE_SIZE_KEY = "page_size"
ITEMS_KEY = "page_items"
MAX_ITEMS_KEY = "max_items"
WEIGHT_KEY = "cost_weight"


@dataclass(frozen=True)
class PageSize:
    """A paginated field's page size: `first` defaults to `default` and may not exceed `maximum`."""

    name: str
    default: int
    maximum: int


def paged(name: str, *, default: int, maximum: int) -> dict[str, Any]:
    """Field metadata for a paginated field (it takes `first:`)."""
    return {PAGE_SIZE_KEY: PageSize(name=name, default=default, maximum=maximum)}


def page_items(*, weight: float = 1.0) -> dict[str, Any]:
    """Field metadata for the items of a page (`edges`, `nodes`, table columns)."""
    return {ITEMS_KEY: True, WEIGHT_KEY: weight}


def bounded(max_items: int) -> dict[str, Any]:
    """Field metadata for an unpaginated list: the most items it can hold."""
    return {MAX_ITEMS_KEY: max_items}


class LimitError(GraphQLError):
    """A query over one of the limits. Never masked: it says which limit and by how much."""

    def __init__(self, message: str, *, code: str, node: FieldNode | None = None, **details: Any) -> None:
        super().__init__(message, nodes=[node] if node else None, extensions={"code": code, **details})


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: VariableValues | None
    cost: float = 0.0


def _metadata(field: GraphQLField) -> Mapping[str, Any]:
    definition = field.extensions.get("strawberry-definition")
    return getattr(definition, "metadata", None) or {}


def _fields(walk: _Walk, parent: Any, selection_set: SelectionSetNode) -> Iterator[tuple[Any, FieldNode]]:
    """(parent type, field node) for every field selected, through fragments."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield parent, selection
        elif isinstance(selection, InlineFragmentNode):
            inner = walk.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            yield from _fields(walk, inner, selection.selection_set)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = walk.fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(
                    walk, walk.schema.get_type(fragment.type_condition.name.value), fragment.selection_set
                )


def _first(walk: _Walk, field: GraphQLField, node: FieldNode, page: PageSize) -> int:
    try:
        args = get_argument_values(field, node, walk.variables)
    except GraphQLError:
        args = {}
    first = args.get("first")
    first = page.default if first is None else first
    if first < 0:
        raise LimitError(
            f"{page.name}: `first` must not be negative (got {first}).", code="PAGE_SIZE_INVALID", node=node
        )
    if first > page.maximum:
        raise LimitError(
            f"{page.name}: `first: {first}` exceeds the page size limit of {page.maximum}.",
            code="PAGE_SIZE_LIMIT_EXCEEDED",
            node=node,
            limit=page.maximum,
            requested=first,
        )
    return int(first)


def _visit(walk: _Walk, parent: Any, selection_set: SelectionSetNode, multiplier: float, items: float) -> None:
    """Add the cost of a selection set. `items` is the multiplier for page-item fields below."""
    for parent_type, node in _fields(walk, parent, selection_set):
        if not isinstance(parent_type, GraphQLObjectType | GraphQLInterfaceType):
            continue
        field = parent_type.fields.get(node.name.value)
        if field is None:
            continue  # __typename and other meta fields cost nothing
        meta = _metadata(field)
        here = items if meta.get(ITEMS_KEY) else multiplier
        named = get_named_type(field.type)
        is_list = is_list_type(get_nullable_type(field.type))
        weight = meta.get(WEIGHT_KEY, 0.0 if is_leaf_type(named) else 1.0)
        child_items = here
        if PAGE_SIZE_KEY in meta:
            child_items = here * _first(walk, field, node, meta[PAGE_SIZE_KEY])
        elif is_list and MAX_ITEMS_KEY in meta:
            here = here * meta[MAX_ITEMS_KEY]
        walk.cost += here * weight
        if node.selection_set is not None:
            _visit(walk, named, node.selection_set, here, child_items)


def query_cost(
    schema: GraphQLSchema, document: Any, operation_name: str | None, variables: dict[str, Any] | None
) -> int:
    """The cost of the operation (see the module docstring). Raises LimitError over a page size."""
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    # Invalid variables fail validation before execution; here they just count as absent.
    walk = _Walk(schema=schema, fragments=fragments, variables=coerced if isinstance(coerced, VariableValues) else None)
    _visit(walk, root, operation.selection_set, 1.0, 1.0)
    return math.ceil(walk.cost)


class QueryCostLimiter(SchemaExtension):
    """Checks page sizes and the query cost before execution; reports the cost in `extensions`."""

    max_cost: int = MAX_QUERY_COST

    def __init__(self) -> None:
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.result is None:
            try:
                self.cost = query_cost(ctx.schema._schema, ctx.graphql_document, ctx.operation_name, ctx.variables)
                if self.cost > self.max_cost:
                    raise LimitError(
                        f"Query cost {self.cost} exceeds the limit of {self.max_cost}. The cost is the "
                        "number of objects the query may return, from the page sizes it asks for: ask "
                        "for smaller pages, or fetch job lists as a jobTable.",
                        code="QUERY_COST_LIMIT_EXCEEDED",
                        cost=self.cost,
                        limit=self.max_cost,
                    )
            except LimitError as error:
                ctx.result = GraphQLExecutionResult(data=None, errors=[error])
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.max_cost}}
