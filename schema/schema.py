"""The root schema: every domain's queries joined into one Query type."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter

from schema.live.queries import LiveQueries
from schema.live.subscriptions import LiveSubscriptions
from schema.repositories.queries import RepositoryQueries


@strawberry.type
class Query(RepositoryQueries, LiveQueries):
    node: relay.Node = relay.node(description="Any object by its global id.")


@strawberry.type
class Subscription(LiveSubscriptions):
    pass


schema = strawberry.Schema(
    query=Query,
    subscription=Subscription,
    extensions=[
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=5000),
    ],
)
