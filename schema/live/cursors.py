"""Cursors are the outbox sequence numbers, written as opaque strings."""

from __future__ import annotations

from graphql import GraphQLError


def encode(seq: int) -> str:
    return str(seq)


def decode(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not (cursor.isascii() and cursor.isdigit()):
        raise GraphQLError(f"Invalid cursor {cursor!r}.", extensions={"code": "INVALID_CURSOR"})
    return int(cursor)
