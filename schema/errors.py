"""Which errors a client sees as they are, and which are masked in production.

Errors the client caused (syntax, validation, limits, bad cursors, bad arguments) stay precise:
they have no `original_error`, or one the code raised on purpose as a `GraphQLError`. Anything else
is an unexpected failure inside the server: in production (DEBUG off) its message, which may carry
internals, is replaced by "Unexpected error."; the original is logged by Strawberry with its stack.
"""

from __future__ import annotations

from graphql import GraphQLError


class UserInputError(GraphQLError):
    """A resolver's refusal of an argument value the client can correct. Never masked."""


def should_mask_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return False
    return not isinstance(original, GraphQLError)
