"""Reads for accounts: tokens by their secret, a user's tokens, who is a sheriff."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import SHERIFF_GROUP, ApiToken


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_find(*, raw: str) -> ApiToken | None:
    """The live (not revoked, not expired) token with this secret, with its user, or None."""
    if not raw or len(raw) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(
            digest=token_digest(raw),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


def api_tokens_valid(*, ids: Iterable[int]) -> set[int]:
    """Which of these tokens are still live."""
    return set(
        ApiToken.objects.filter(
            id__in=list(ids), revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True
        ).values_list("id", flat=True)
    )


def api_tokens_of(*, user_id: int) -> QuerySet[ApiToken]:
    """A user's tokens, newest first (revoked ones too: the user sees what they revoked)."""
    return ApiToken.objects.filter(user_id=user_id).order_by("-created", "-id")


def user_is_sheriff(*, user: Any) -> bool:
    if user is None or not user.is_active:
        return False
    return bool(user.is_superuser or user.groups.filter(name=SHERIFF_GROUP).exists())
