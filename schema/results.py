"""Domain errors returned as data by mutations (each mutation's result is a union of its success
type and these). Refusals (not signed in, no permission, CSRF, rate) are GraphQL errors instead."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Something the mutation names does not exist.")
class NotFound:
    message: str
    ids: list[int] = strawberry.field(description="The ids that were not found.")


@strawberry.type(description="An argument the client can correct.")
class InvalidInput:
    message: str
    field: str = strawberry.field(description="The argument at fault, e.g. jobIds.")
