"""Ids in arguments: a numeric databaseId (what Treeherder URLs carry) or a Relay global id."""

from __future__ import annotations

from strawberry import relay

from schema.errors import UserInputError


def database_id(value: str | int, type_name: str) -> int:
    """The databaseId `value` names: digits, or the global id of a `type_name` object."""
    text = str(value)
    if text.isdigit():
        return int(text)
    try:
        global_id = relay.GlobalID.from_id(text)
    except (ValueError, TypeError):
        global_id = None
    if global_id is None or global_id.type_name != type_name or not global_id.node_id.isdigit():
        raise UserInputError(f"`{text}` is neither a numeric id nor a {type_name} global id.")
    return int(global_id.node_id)
