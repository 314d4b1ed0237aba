"""`Query.node(id:)`: any object by its global id, and a clear NOT_FOUND when there is none.

Strawberry's `relay.node()` field fails with an internal error (masked as "Unexpected error.") for
the global id of an unknown type, of a type that is not a Node, or of an object that does not
exist, because the field is non-null. Each of those is the client's mistake, so this resolver says
which one it was, with code NOT_FOUND.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.types.cast import cast as strawberry_cast

from schema.errors import NOT_FOUND, UserInputError
from schema.info import Info


def _node_type(info: Info, global_id: relay.GlobalID) -> type[relay.Node]:
    definition = info.schema.get_type_by_name(global_id.type_name)
    origin = getattr(definition, "origin", None)
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        raise UserInputError(
            f"`{global_id}` is not the global id of a Node: {global_id.type_name!r} is not a Node type.",
            code=NOT_FOUND,
        )
    return origin


async def resolve_node(
    info: Info, id: Annotated[relay.GlobalID, strawberry.argument(description="The ID of the object.")]
) -> relay.Node:
    node_type = _node_type(info, id)
    node: Any = node_type.resolve_node(id.node_id, info=info, required=False)
    if inspect.isawaitable(node):
        node = await node
    if node is None:
        raise UserInputError(f"No {id.type_name} has the id `{id}`.", code=NOT_FOUND)
    return cast("relay.Node", strawberry_cast(node_type, node))


node_field: Any = strawberry.field(resolver=resolve_node, description="Any object by its global id.")
