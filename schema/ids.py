"""Ids in arguments: a numeric databaseId (what Treeherder URLs carry) or a Relay global id."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry import relay

from schema.errors import UserInputError

# Ids are BIGINT (signed 64-bit) on MariaDB and SQLite: a larger number names no row, and SQLite
# cannot even bind it (OverflowError), so it is refused as the client's error.
MAX_ID = 2**63 - 1


def database_id(value: str | int, type_name: str) -> int:
    """The databaseId `value` names: digits, or the global id of a `type_name` object."""
    text = str(value)
    if _is_number(text):
        return _in_range(int(text), text)
    try:
        global_id = relay.GlobalID.from_id(text)
    except (ValueError, TypeError):
        global_id = None
    if global_id is None or global_id.type_name != type_name or not _is_number(global_id.node_id):
        raise UserInputError(f"`{text}` is neither a numeric id nor a {type_name} global id.")
    return _in_range(int(global_id.node_id), text)


def node_database_ids(node_ids: Iterable[str], type_name: str) -> list[int]:
    """The databaseIds inside `node(id:)` global ids of `type_name` (a non-number is the client's error)."""
    ids = list(node_ids)
    for node_id in ids:
        if not _is_number(node_id):
            raise UserInputError(f"`{node_id}` is not a {type_name} id.")
    return [_in_range(int(node_id), node_id) for node_id in ids]


def _in_range(number: int, text: str) -> int:
    if number > MAX_ID:
        raise UserInputError(f"`{text}` is out of range: ids are at most {MAX_ID}.", limit=MAX_ID)
    return number


def _is_number(text: str) -> bool:
    # ASCII only: "²".isdigit() is true, int("²") fails.
    return text.isascii() and text.isdigit()
