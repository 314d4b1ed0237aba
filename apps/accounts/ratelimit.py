"""Mutations per identity per minute, counted by django-ratelimit in the shared cache (Redis)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from apps.accounts.identity import Principal

logger = logging.getLogger(__name__)

GROUP = "graphql.mutation"


class CounterUnavailable(Exception):
    """The cache that counts mutations cannot be reached: writes are refused (fail closed)."""


def mutation_allowed(principal: Principal, request: HttpRequest | None) -> bool:
    """Count one mutation for this identity; False once it is over MUTATION_RATE_LIMIT. Over a
    WebSocket there is no HTTP request; django-ratelimit only reads its method, so a blank POST
    request stands in."""
    if request is None:
        request = HttpRequest()
        request.method = "POST"
    key = f"user:{principal.user.pk}" if principal.user is not None else "anonymous"

    def identity(group: str, request: Any) -> str:
        return key

    try:
        usage = get_usage(request, group=GROUP, key=identity, rate=settings.MUTATION_RATE_LIMIT, increment=True)
    except Exception as exc:  # Redis down or refusing: nothing can count, so nothing is allowed
        logger.warning("mutation rate limit: the cache is unavailable (%s)", type(exc).__name__)
        raise CounterUnavailable from exc
    if usage is not None and usage["count"] == 0 and usage["limit"] == 0:
        raise CounterUnavailable  # django-ratelimit's answer when the cache returned nothing
    return usage is None or not usage["should_limit"]
