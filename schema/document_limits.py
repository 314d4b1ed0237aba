"""The first check of every document: its size with every fragment spread expanded, its depth and
its aliases, measured in one walk that visits each fragment once.

Why not Strawberry's QueryDepthLimiter and MaxAliasesLimiter: they (and our cost walk, before it
was memoised) re-walk a fragment at every spread. Fragments that each spread the next one twice
(`fragment F0 on Query { ...F1 ...F1 }`, ...) expand to 2^n selections in a few hundred tokens, and
walking them blocked Daphne's event loop for every client (n = 20: 9 s; n = 30: until killed).

Here each fragment is measured once (memoised by name, in dependency order, without recursion
through spreads, so a long chain of fragments cannot exhaust the stack). The measure is exact: a
fragment spread k times counts k times its size, so the bound on the expanded size is a bound on
the work every later step does (graphql-core's validation, the cost walk, Strawberry's
`selected_fields`, execution). The check runs in `on_validate` before graphql-core's rules and,
when it refuses, validation does not run at all.

graphql-core's own OverlappingFieldsCanBeMerged rule compares fields pairwise: a document repeating
one field a thousand times costs it 500,000 comparisons (about 3 s). Its complexity budget is
lowered here (MAX_OVERLAP_BUDGET) so it gives up within milliseconds; the job view's queries and
GraphiQL's introspection use a few hundred units of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.extensions import SchemaExtension

from schema.limits import LimitError

# Field selections in the whole document once every fragment spread is expanded (all operations).
# GraphiQL's introspection query has 229, the job view's query 64.
MAX_SELECTIONS = 1_000
# Definitions: graphql-core validates every one of them, whichever operation runs.
MAX_OPERATIONS = 50
MAX_FRAGMENTS = 100
# Variable definitions in the whole document (the job view's query has 2).
MAX_VARIABLE_DEFINITIONS = 50
# JSON values (every list item and object member, nested) in a request's variables: coercing a
# list of 100,000 ids takes longer than any query should (pushIds takes 100 at most).
MAX_VARIABLE_VALUES = 1_000
# graphql-core's budget for comparing overlapping fields (its default, 500,000, is about 3 s). The
# introspection query and the job view's queries validate within 1,000.
MAX_OVERLAP_BUDGET = 2_000
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = MAX_OVERLAP_BUDGET


@dataclass(frozen=True)
class Measure:
    """A selection set's size (field selections, fragments expanded), depth and aliases.

    Depth follows Strawberry's QueryDepthLimiter, so the limit means what it meant: a field with a
    selection counts 1 plus its deepest child, a leaf 0, and introspection fields (`__schema`,
    `__type`) are not counted; their size is."""

    size: int = 0
    depth: int = 0
    aliases: int = 0

    def beside(self, other: Measure) -> Measure:
        return Measure(self.size + other.size, max(self.depth, other.depth), self.aliases + other.aliases)


ZERO = Measure()


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    """Names of the fragments spread anywhere in `selection_set` (not through them)."""
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            yield selection.name.value
        elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set is not None:
            yield from _spreads(selection.selection_set)


def _dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """Fragments after every fragment they spread (a spread closing a cycle is left out: cycles are
    a validation error). Iterative, so a chain of hundreds of fragments needs no deep stack."""
    spreads = {name: [s for s in _spreads(f.selection_set) if s in fragments] for name, f in fragments.items()}
    order: list[str] = []
    seen: set[str] = set()
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(spreads[root]))]
        while stack:
            name, children = stack[-1]
            for child in children:
                if child not in seen:
                    seen.add(child)
                    stack.append((child, iter(spreads[child])))
                    break
            else:
                stack.pop()
                order.append(name)
    return order


class _Measurer:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments: dict[str, Measure] = {}
        for name in _dependency_order(fragments):
            # Every fragment it spreads is measured already, or closes a cycle (then it counts 0).
            self.fragments[name] = self.selection_set(fragments[name].selection_set)

    def selection_set(self, selection_set: SelectionSetNode) -> Measure:
        measure = ZERO
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                measure = measure.beside(self.field(selection))
            elif isinstance(selection, InlineFragmentNode):
                measure = measure.beside(self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                measure = measure.beside(self.fragments.get(selection.name.value, ZERO))
        return measure

    def field(self, node: FieldNode) -> Measure:
        alias = 1 if node.alias else 0
        if node.selection_set is None:
            return Measure(size=1, depth=0, aliases=alias)
        child = self.selection_set(node.selection_set)
        depth = 0 if node.name.value.startswith("__") else 1 + child.depth
        return Measure(size=1 + child.size, depth=depth, aliases=alias + child.aliases)


def measure_document(document: DocumentNode) -> dict[str, Measure]:
    """Each operation's measure, by name ("anonymous" for an unnamed one)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    measurer = _Measurer(fragments)
    return {
        (d.name.value if d.name else "anonymous"): measurer.selection_set(d.selection_set)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    }


def _count_values(value: object, limit: int) -> int:
    """How many JSON values `value` holds (itself included), counting no further than `limit` + 1."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def variables_errors(variables: object, *, max_values: int = MAX_VARIABLE_VALUES) -> list[GraphQLError]:
    """An error when the request's variables hold more than `max_values` JSON values."""
    if not variables:
        return []
    count = _count_values(variables, max_values + 1) - 1  # the variables object itself does not count
    if count <= max_values:
        return []
    return [
        LimitError(
            f"The variables hold more than {max_values} values (list items and object fields, nested); "
            f"the limit is {max_values}.",
            code="VARIABLES_LIMIT_EXCEEDED",
            limit=max_values,
        )
    ]


def _definition_errors(document: DocumentNode) -> list[GraphQLError]:
    definitions = document.definitions
    operations = sum(isinstance(d, OperationDefinitionNode) for d in definitions)
    fragments = sum(isinstance(d, FragmentDefinitionNode) for d in definitions)
    variables = sum(len(d.variable_definitions or ()) for d in definitions if isinstance(d, OperationDefinitionNode))
    if operations > MAX_OPERATIONS:
        return [
            LimitError(
                f"The document has {operations} operations; the limit is {MAX_OPERATIONS}.",
                code="OPERATION_LIMIT_EXCEEDED",
                operations=operations,
                limit=MAX_OPERATIONS,
            )
        ]
    if variables > MAX_VARIABLE_DEFINITIONS:
        return [
            LimitError(
                f"The document defines {variables} variables; the limit is {MAX_VARIABLE_DEFINITIONS}.",
                code="VARIABLE_DEFINITION_LIMIT_EXCEEDED",
                variables=variables,
                limit=MAX_VARIABLE_DEFINITIONS,
            )
        ]
    if fragments > MAX_FRAGMENTS:
        return [
            LimitError(
                f"The document has {fragments} fragments; the limit is {MAX_FRAGMENTS}.",
                code="FRAGMENT_LIMIT_EXCEEDED",
                fragments=fragments,
                limit=MAX_FRAGMENTS,
            )
        ]
    return []


def document_errors(
    document: DocumentNode, *, max_selections: int, max_depth: int, max_aliases: int
) -> list[GraphQLError]:
    """The limits `document` exceeds, as errors (empty when it is within all of them)."""
    definition_errors = _definition_errors(document)
    if definition_errors:
        return definition_errors
    measures = measure_document(document)
    size = sum(m.size for m in measures.values())
    if size > max_selections:
        return [
            LimitError(
                f"The document selects {size} fields once its fragments are expanded; the limit is "
                f"{max_selections}. Ask for fewer fields, or spread each fragment fewer times.",
                code="QUERY_SIZE_LIMIT_EXCEEDED",
                size=size,
                limit=max_selections,
            )
        ]
    errors: list[GraphQLError] = []
    for name, measure in measures.items():
        if measure.depth > max_depth:
            # Strawberry's message (clients may match it), with a code.
            errors.append(
                LimitError(
                    f"'{name}' exceeds maximum operation depth of {max_depth}",
                    code="QUERY_DEPTH_LIMIT_EXCEEDED",
                    depth=measure.depth,
                    limit=max_depth,
                )
            )
    aliases = sum(m.aliases for m in measures.values())
    if aliases > max_aliases:
        errors.append(
            LimitError(
                f"{aliases} aliases found. Allowed: {max_aliases}",
                code="QUERY_ALIAS_LIMIT_EXCEEDED",
                aliases=aliases,
                limit=max_aliases,
            )
        )
    return errors


def operation_name_errors(document: DocumentNode, operation_name: str | None) -> list[GraphQLError]:
    """An error when `document` has several operations and the request names none."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    names = [d.name.value if d.name else "(anonymous)" for d in operations]
    if operation_name is not None or len(names) < 2:
        return []
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return [
        GraphQLError(
            f"The document has {len(names)} operations ({shown}): name the one to run in `operationName`.",
            extensions={"code": "OPERATION_NAME_REQUIRED", "operations": len(names)},
        )
    ]


class DocumentLimiter(SchemaExtension):
    """Refuses, before graphql-core validates it, a document over the size, depth, alias, operation
    or fragment limit, variables over theirs, or several operations with none named."""

    def __init__(self, *, max_selections: int = MAX_SELECTIONS, max_depth: int, max_aliases: int) -> None:
        self.max_selections = max_selections
        self.max_depth = max_depth
        self.max_aliases = max_aliases

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.pre_execution_errors is None:
            document = ctx.graphql_document
            errors = variables_errors(ctx.variables) or document_errors(
                document, max_selections=self.max_selections, max_depth=self.max_depth, max_aliases=self.max_aliases
            )
            # Strawberry runs the first operation when none is named; the spec requires an error.
            # (`operation_name` falls back to the first operation's name, so read what was sent.)
            sent_name = getattr(ctx, "_provided_operation_name", None)
            errors = errors or operation_name_errors(document, sent_name)
            if errors:
                # Strawberry skips validation when an extension has already set its errors.
                ctx.pre_execution_errors = errors
        yield
