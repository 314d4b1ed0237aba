"""Opaque cursors and the Relay page info shared by every connection."""

from __future__ import annotations

import base64
import binascii
import datetime

import strawberry
from graphql import GraphQLError


@strawberry.type(description="Where a page ends, and whether more follow (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


class InvalidCursorError(GraphQLError):
    """A client sent a cursor this server did not issue. Not masked: the client can fix it."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"Invalid {kind} cursor: pass back an endCursor this API returned.", extensions={"code": "INVALID_CURSOR"}
        )


def encode_cursor(kind: str, *parts: object) -> str:
    return base64.urlsafe_b64encode(":".join([kind, *map(str, parts)]).encode()).decode()


def _decode(kind: str, cursor: str, count: int) -> list[str]:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError(kind) from None
    head, _, rest = text.partition(":")
    parts = rest.split(":", count - 1) if rest else []
    if head != kind or len(parts) != count:
        raise InvalidCursorError(kind)
    return parts


def decode_int_cursor(kind: str, cursor: str) -> int:
    try:
        return int(_decode(kind, cursor, 1)[0])
    except ValueError:
        raise InvalidCursorError(kind) from None


def decode_pair_cursor(kind: str, cursor: str) -> tuple[int, int]:
    try:
        first, second = _decode(kind, cursor, 2)
        return int(first), int(second)
    except ValueError:
        raise InvalidCursorError(kind) from None


def decode_time_id_cursor(kind: str, cursor: str) -> tuple[datetime.datetime, int]:
    # The time is ISO 8601 and contains colons: the id goes first.
    try:
        ident, when = _decode(kind, cursor, 2)
        return datetime.datetime.fromisoformat(when), int(ident)
    except ValueError:
        raise InvalidCursorError(kind) from None


def page_info(*, has_next_page: bool, cursors: list[str]) -> PageInfo:
    return PageInfo(
        has_next_page=has_next_page,
        has_previous_page=False,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
