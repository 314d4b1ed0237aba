"""Writes for accounts: API tokens (create, revoke, touch), local accounts and the sheriff role."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import SHERIFF_GROUP, ApiToken
from apps.accounts.selectors import token_digest

TOKEN_PREFIX = "thp_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for, not a secret
PREFIX_SHOWN = 10
MAX_LIVE_TOKENS_PER_USER = 20
MAX_NAME_LENGTH = 100
# last_used_at is written at most this often per token: a bot's every request would otherwise
# be a write.
TOUCH_EVERY = datetime.timedelta(seconds=60)


class TokenInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def api_token_create(*, user: Any, name: str, scopes: Iterable[str], expires_in_days: int) -> tuple[ApiToken, str]:
    """A new token for `user`. Returns the row and the plain token, which is never stored or
    logged: the caller shows it once."""
    name = name.strip()
    scope_set = sorted(set(scopes))
    if not name or len(name) > MAX_NAME_LENGTH:
        raise TokenInputError("name", f"Give the token a name of 1 to {MAX_NAME_LENGTH} characters.")
    if not scope_set or not set(scope_set) <= set(ApiToken.Scope.values):
        raise TokenInputError("scopes", f"Scopes must be among: {', '.join(ApiToken.Scope.values)}.")
    max_days = settings.API_TOKEN_MAX_DAYS
    if not 1 <= expires_in_days <= max_days:
        raise TokenInputError("expiresInDays", f"A token expires after 1 to {max_days} days.")
    now = timezone.now()
    with transaction.atomic():
        # Serialise one user's creations so the cap holds under concurrent requests.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        live = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now).count()
        if live >= MAX_LIVE_TOKENS_PER_USER:
            raise TokenInputError("name", f"At most {MAX_LIVE_TOKENS_PER_USER} live tokens per user: revoke one first.")
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=raw[:PREFIX_SHOWN],
            digest=token_digest(raw),
            scopes=",".join(scope_set),
            expires_at=now + datetime.timedelta(days=expires_in_days),
        )
    return token, raw


def api_token_revoke(*, user: Any | None, token_id: int) -> ApiToken | None:
    """Revoke a token (of `user`, or of anyone when `user` is None: the management command).
    Revoking twice keeps the first time. None: no such token (of that user)."""
    tokens = ApiToken.objects.filter(id=token_id)
    if user is not None:
        tokens = tokens.filter(user=user)
    tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    return tokens.first()


def api_token_touch(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    ApiToken.objects.filter(id=token.id).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now


def user_sheriff_set(*, user: Any, sheriff: bool) -> None:
    group, _ = Group.objects.get_or_create(name=SHERIFF_GROUP)
    if sheriff:
        user.groups.add(group)
    else:
        user.groups.remove(group)


def account_create(*, username: str, email: str, password: str | None, sheriff: bool) -> Any:
    """A local account (when no OIDC provider is configured). No password: it cannot sign in
    through the login form, only act through API tokens (a bot's account)."""
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, email=email, password=password)
        user_sheriff_set(user=user, sheriff=sheriff)
    return user
