"""Mutations per identity per minute, counted by django-ratelimit in the shared cache (Redis)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from apps.accounts.identity import Principal

GROUP = "graphql.mutation"


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

    usage = get_usage(request, group=GROUP, key=identity, rate=settings.MUTATION_RATE_LIMIT, increment=True)
    return usage is None or not usage["should_limit"]
