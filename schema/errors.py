"""Which errors a client sees as they are, and which are masked in production.

Errors the client caused (syntax, validation, limits, bad cursors, bad arguments) stay precise:
they have no `original_error`, or one the code raised on purpose as a `GraphQLError`. Anything else
is an unexpected failure inside the server: in production (DEBUG off) its message, which may carry
internals, is replaced by "Unexpected error."; the original is logged by Strawberry with its stack.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

logger = logging.getLogger("treeherder.graphql")


class UserInputError(GraphQLError):
    """A resolver's refusal of an argument value the client can correct. Never masked."""


def should_mask_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, GraphQLError)


def log_errors(errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
    """Unexpected errors: ERROR with the stack (Strawberry's logger). Client errors (a bad query,
    a limit, a bad argument): one WARNING line each, no stack, so they are seen but not paged on."""
    for error in errors:
        if should_mask_error(error):
            StrawberryLogger.error(error, execution_context)
        else:
            code = (error.extensions or {}).get("code", "BAD_REQUEST")
            logger.warning("GraphQL request refused (%s): %s", code, error.message)
