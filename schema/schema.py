"""The root schema: every domain's queries joined into one Query type, and the request limits.

Adding subscriptions is one line: `subscription=Subscription` in the `strawberry.Schema(...)` call.
"""

from __future__ import annotations

import strawberry
from django.conf import settings
from strawberry import relay
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from schema.errors import should_mask_error
from schema.jobs.queries import JobQueries
from schema.limits import QueryCostLimiter
from schema.pushes.queries import PushQueries
from schema.repositories.queries import RepositoryQueries
from schema.scalars import SCALAR_MAP

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


@strawberry.type
class Query(RepositoryQueries, PushQueries, JobQueries):
    node: relay.Node = relay.node(description="Any object by its global id.")


def extensions(*, debug: bool) -> list:
    """The schema's extensions: request limits always; error masking unless `debug`."""
    extensions = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        QueryCostLimiter,
    ]
    if not debug:
        # Production: unexpected errors lose their message (logged with the stack instead).
        extensions.append(lambda: MaskErrors(should_mask_error=should_mask_error))
    return extensions


CONFIG = StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP)

schema = strawberry.Schema(query=Query, extensions=extensions(debug=settings.DEBUG), config=CONFIG)
