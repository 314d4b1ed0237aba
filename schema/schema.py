"""The root schema: every domain's queries joined into one Query type, and the request limits.

Subscriptions (schema/live) join as the root `Subscription` type; the sheriffing mutations
(schema/classification, schema/accounts) as `Mutation`.
"""

from __future__ import annotations

import strawberry
from django.conf import settings
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.accounts.mutations import AccountMutations
from schema.accounts.queries import AccountQueries
from schema.classification.mutations import ClassificationMutations
from schema.document_limits import DocumentLimiter
from schema.errors import CodedMaskErrors, ErrorCodes, log_errors, should_mask_error
from schema.execution import PerEventMemoExecutionContext
from schema.jobs.queries import JobQueries
from schema.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, QueryCostLimiter
from schema.live.queries import LiveQueries
from schema.live.subscriptions import LiveSubscriptions
from schema.metrics import OperationMetrics
from schema.node import node_field
from schema.pushes.queries import PushQueries
from schema.repositories.queries import RepositoryQueries
from schema.scalars import SCALAR_MAP


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors(errors, execution_context)


@strawberry.type
class Query(RepositoryQueries, PushQueries, JobQueries, LiveQueries, AccountQueries):
    node: relay.Node = node_field


def extensions(*, debug: bool) -> list:
    """The schema's extensions: request limits always; error masking unless `debug`.

    The document limiter measures size, depth and aliases in one memoised walk before graphql-core
    validates (schema.document_limits); the cost limiter checks page sizes, list arguments and the
    cost before execution (schema.limits)."""
    extensions = [
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: DocumentLimiter(max_depth=MAX_DEPTH, max_aliases=MAX_ALIASES),
        QueryCostLimiter,
        OperationMetrics,
    ]
    if not debug:
        # Production: unexpected errors lose their message (logged with the stack instead).
        extensions.append(lambda: CodedMaskErrors(should_mask_error=should_mask_error))
    return extensions


@strawberry.type
class Subscription(LiveSubscriptions):
    pass


@strawberry.type
class Mutation(ClassificationMutations, AccountMutations):
    pass


CONFIG = StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP)

schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=extensions(debug=settings.DEBUG),
    config=CONFIG,
    # Each subscription event gets its own collect_subfields memo (schema/execution.py).
    execution_context_class=PerEventMemoExecutionContext,
)
