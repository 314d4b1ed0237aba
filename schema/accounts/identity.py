"""Who a GraphQL operation acts as, and the one check every mutation makes before its service.

Over HTTP the principal comes from the request (bearer token, else session, checked once per
request); over a WebSocket from the connection's authenticator (server/ws/tokens.py).
Refusals are GraphQL errors with a code (UNAUTHENTICATED, CSRF_FAILED, FORBIDDEN, RATE_LIMITED),
never masked; domain errors are returned as data by each mutation's result union.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from graphql import GraphQLError

from apps.accounts.identity import ANONYMOUS, InvalidCredentials, Principal, principal_for_request
from apps.accounts.permissions import Action, NotAllowed, authorise
from apps.accounts.ratelimit import CounterUnavailable, mutation_allowed
from schema.db import db

_CACHED = "_treeherder_principal"


async def principal_of(info: Any) -> Principal:
    context = info.context
    user = getattr(context, "user", None)
    if isinstance(user, Principal):  # a WebSocket connection's identity
        return user
    request = getattr(context, "request", None)
    if request is None:
        return ANONYMOUS
    cached = getattr(request, _CACHED, None)
    if cached is None:
        try:
            cached = await db(principal_for_request)(request)
        except InvalidCredentials as exc:
            raise GraphQLError(str(exc), extensions={"code": "UNAUTHENTICATED"}) from None
        setattr(request, _CACHED, cached)
    return cached


async def require(info: Any, action: Action) -> Principal:
    """The principal, if it may do `action` and is within its mutation rate; else a GraphQL error."""
    principal = await principal_of(info)
    try:
        authorise(principal, action)
    except NotAllowed as exc:
        raise GraphQLError(str(exc), extensions={"code": exc.code, "action": action.value}) from None
    request = getattr(info.context, "request", None)
    try:
        allowed = await db(mutation_allowed)(principal, request)
    except CounterUnavailable:
        raise GraphQLError(
            "Changes are paused: the rate-limit counter (the cache) is unavailable. Retry shortly.",
            extensions={"code": "SERVICE_UNAVAILABLE", "action": action.value},
        ) from None
    if not allowed:
        rate = settings.MUTATION_RATE_LIMIT
        raise GraphQLError(
            f"Too many changes (at most {rate} per user): retry later.",
            extensions={"code": "RATE_LIMITED", "action": action.value, "rate": rate},
        )
    return principal
