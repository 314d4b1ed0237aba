"""The root schema: every domain's queries joined into one Query type."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from schema.repositories.queries import RepositoryQueries


@strawberry.type
class Query(RepositoryQueries):
    node: relay.Node = relay.node(description="Any object by its global id.")


schema = strawberry.Schema(
    query=Query,
    extensions=[
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=5000),
    ],
)
