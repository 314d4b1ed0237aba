"""Query limits checked before execution: page sizes and a query cost computed from them.

Depth, alias and token limits are Strawberry's own extensions (configured in `schema.schema`).
This module adds what Strawberry lacks (issue strawberry#2988): every paginated field declares its
page size limit, and the query's cost is computed from the page sizes it asks for, before any
resolver runs. The cost is the number of objects the query may return at most:

* an object field counts 1 for each parent object it can appear under;
* a paginated field (`first:`) multiplies its items (`edges`, `nodes`, table columns) by `first`;
* an unpaginated list declares its largest size (e.g. 40 error lines per job) and multiplies by it;
* a job table column counts 1 per 100 rows: a column is one list value, not one object per job.

The cost goes into the response's `extensions.cost` whenever it was computed (on every valid
operation); over the limit, the operation is refused with an error naming the limit, and nothing
runs. Page sizes and list arguments (`list_limits`) are checked in the same walk. Each fragment's
cost is computed once (a linear form in the multipliers it is spread with), however often it is
spread.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

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
from strawberry.schema.schema import validate_document

MAX_QUERY_COST = 100_000
# The longest string any argument may hold (revisions are 40, cursors and names under 100; a
# classification note may have 10,000 characters).
MAX_STRING_ARGUMENT_CHARS = 10_000
# Depth and aliases: schema.document_limits checks them; tokens: Strawberry's MaxTokensLimiter (in
# `schema.schema`), and the WebSocket server's parse uses MAX_TOKENS too. GraphiQL's introspection
# query has 183 tokens, the job view's query 112; parsing is the cost that remains for every
# refused document, so the token limit bounds it (docs/api-limits.md).
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2000
PAGE_SIZE_KEY = "page_size"
ITEMS_KEY = "page_items"
MAX_ITEMS_KEY = "max_items"
WEIGHT_KEY = "cost_weight"
LIST_LIMITS_KEY = "list_argument_limits"


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


def list_limits(**limits: int) -> dict[str, Any]:
    """Field metadata: the most items each list argument (by its GraphQL name) may hold. Checked with
    the cost, before anything runs."""
    return {LIST_LIMITS_KEY: limits}


class LimitError(GraphQLError):
    """A query over one of the limits. Never masked: it says which limit and by how much."""

    def __init__(self, message: str, *, code: str, node: FieldNode | None = None, **details: Any) -> None:
        super().__init__(message, nodes=[node] if node else None, extensions={"code": code, **details})


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: VariableValues | None
    # Each fragment's cost as a linear form (see _Form), computed once however often it is spread:
    # without this, fragments that each spread the next one twice cost 2^n to walk.
    memo: dict[str, _Form] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Form:
    """A selection set's cost as `per_object * multiplier + per_item * items`.

    The cost of a selection set is linear in the two multipliers it is walked with (how many parent
    objects, how many page items), so a fragment's two coefficients, computed once, give its cost
    wherever it is spread."""

    per_object: float = 0.0
    per_item: float = 0.0

    def __add__(self, other: _Form) -> _Form:
        return _Form(self.per_object + other.per_object, self.per_item + other.per_item)


def _metadata(field: GraphQLField) -> Mapping[str, Any]:
    definition = field.extensions.get("strawberry-definition")
    return getattr(definition, "metadata", None) or {}


def _arguments(walk: _Walk, field: GraphQLField, node: FieldNode) -> dict[str, Any]:
    try:
        return get_argument_values(field, node, walk.variables)
    except GraphQLError:
        return {}  # invalid arguments fail validation or execution with a precise error


def _first(args: Mapping[str, Any], node: FieldNode, page: PageSize) -> int:
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


def _check_list_arguments(args: Mapping[str, Any], node: FieldNode, limits: Mapping[str, int]) -> None:
    for name, limit in limits.items():
        value = args.get(name)
        if isinstance(value, list) and len(value) > limit:
            raise LimitError(
                f"{node.name.value}: {len(value)} {name} exceed the limit of {limit}.",
                code="LIST_ARGUMENT_LIMIT_EXCEEDED",
                node=node,
                argument=name,
                limit=limit,
                requested=len(value),
            )


def _longest_string(value: Any) -> int:
    """The length of the longest string in an argument value (through lists and input objects)."""
    stack, longest = [value], 0
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            longest = max(longest, len(item))
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif hasattr(item, "__dict__") and not isinstance(item, type):
            stack.extend(vars(item).values())  # a Strawberry input object
    return longest


def _check_strings(args: Mapping[str, Any], node: FieldNode) -> None:
    # A string literal is one token however long it is, and a string variable one JSON value.
    for name, value in args.items():
        longest = _longest_string(value)
        if longest > MAX_STRING_ARGUMENT_CHARS:
            raise LimitError(
                f"{node.name.value}: a string in `{name}` has {longest} characters; the limit is "
                f"{MAX_STRING_ARGUMENT_CHARS}.",
                code="STRING_ARGUMENT_LIMIT_EXCEEDED",
                node=node,
                argument=name,
                limit=MAX_STRING_ARGUMENT_CHARS,
            )


def _selection_form(walk: _Walk, parent: Any, selection_set: SelectionSetNode) -> _Form:
    form = _Form()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            form = form + _field_form(walk, parent, selection)
        elif isinstance(selection, InlineFragmentNode):
            inner = walk.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
            form = form + _selection_form(walk, inner, selection.selection_set)
        elif isinstance(selection, FragmentSpreadNode):
            form = form + _fragment_form(walk, selection.name.value)
    return form


def _fragment_form(walk: _Walk, name: str) -> _Form:
    known = walk.memo.get(name)
    if known is not None:
        return known
    fragment = walk.fragments.get(name)
    if fragment is None or name in walk.in_progress:
        return _Form()  # unknown fragments and cycles fail validation; here they cost nothing
    walk.in_progress.add(name)
    try:
        form = _selection_form(walk, walk.schema.get_type(fragment.type_condition.name.value), fragment.selection_set)
    finally:
        walk.in_progress.discard(name)
    walk.memo[name] = form
    return form


def _field_form(walk: _Walk, parent: Any, node: FieldNode) -> _Form:
    """A field's cost: `weight` per object it appears under (x the list's size, for a bounded list),
    plus its selection's cost with the multipliers it hands down (its page size, for a page)."""
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return _Form()
    field = parent.fields.get(node.name.value)
    if field is None:
        return _Form()  # __typename and other meta fields cost nothing
    meta = _metadata(field)
    named = get_named_type(field.type)
    weight = float(meta.get(WEIGHT_KEY, 0.0 if is_leaf_type(named) else 1.0))
    child = _selection_form(walk, named, node.selection_set) if node.selection_set is not None else _Form()
    args: dict[str, Any] = {}
    if node.arguments or PAGE_SIZE_KEY in meta:
        args = _arguments(walk, field, node)
        _check_list_arguments(args, node, meta.get(LIST_LIMITS_KEY, {}))
        _check_strings(args, node)
    if PAGE_SIZE_KEY in meta:
        # The page's items are multiplied by `first`; the field itself, by its parents only.
        scalar = weight + child.per_object + child.per_item * _first(args, node, meta[PAGE_SIZE_KEY])
    elif is_list_type(get_nullable_type(field.type)) and MAX_ITEMS_KEY in meta:
        scalar = meta[MAX_ITEMS_KEY] * (weight + child.per_object + child.per_item)
    else:
        scalar = weight + child.per_object + child.per_item
    # A page item counts once per item of the enclosing page; anything else once per parent object.
    return _Form(per_item=scalar) if meta.get(ITEMS_KEY) else _Form(per_object=scalar)


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
    form = _selection_form(walk, root, operation.selection_set)
    return math.ceil(form.per_object + form.per_item)


class QueryCostLimiter(SchemaExtension):
    """Checks page sizes and the query cost before execution; reports the cost in `extensions`."""

    max_cost: int = MAX_QUERY_COST

    def __init__(self) -> None:
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        # Validation runs here, first, so that the cost is computed on a valid document and a
        # refusal is a pre-execution error like the other limits' (a graphql-transport-ws `error`
        # message, not a `next`). Strawberry then skips its own validation: the errors are set.
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.pre_execution_errors is None and ctx.validation_rules:
            ctx.pre_execution_errors = validate_document(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
            if not ctx.pre_execution_errors:
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
                    ctx.pre_execution_errors = [error]
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.max_cost}}
