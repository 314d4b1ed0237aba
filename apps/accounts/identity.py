"""Who a request or connection acts as: a `Principal`, from a bearer token, a session, or nobody.

Credentials come in three ways, and only the session one is ambient (the browser sends it by
itself), so only a session needs the CSRF token on a write. A bearer token, over HTTP or in a
WebSocket's connection_init, is sent on purpose by the client and needs no CSRF check.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.middleware.csrf import CsrfViewMiddleware

from apps.accounts import selectors, services
from apps.accounts.models import ApiToken

if TYPE_CHECKING:
    from django.http import HttpRequest

BEARER = "bearer "


class Via(StrEnum):
    ANONYMOUS = "anonymous"
    SESSION = "session"
    TOKEN = "token"  # noqa: S105 - the name of a credential kind, not a secret


class InvalidCredentials(Exception):
    """A bearer token that is unknown, revoked or expired. The message never contains the token."""


@dataclass(frozen=True)
class Principal:
    user: Any = None
    via: Via = Via.ANONYMOUS
    # What the credential allows: a session has every scope; a token has the scopes it was given.
    scopes: frozenset[str] = frozenset()
    is_sheriff: bool = False
    token_id: int | None = None
    token_expires_at: datetime.datetime | None = None
    # Session only: whether the request carried a valid CSRF token (checked once, up front).
    csrf_ok: bool = field(default=True, compare=False)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def username(self) -> str:
        return str(self.user.get_username()) if self.user is not None else ""

    @property
    def pk(self) -> Any:
        """For the WebSocket transport's sharing key: one identity per user and credential."""
        return f"{self.user.pk}:{self.token_id}" if self.user is not None else ""


ANONYMOUS = Principal()
SESSION_SCOPES = frozenset(ApiToken.Scope.values)


def principal_from_token(raw: str) -> Principal:
    """The principal of a bearer token; its last-used time is refreshed (at most once a minute)."""
    token = selectors.api_token_find(raw=raw)
    if token is None:
        raise InvalidCredentials("The API token is unknown, revoked or expired.")
    services.api_token_touch(token=token)
    return Principal(
        user=token.user,
        via=Via.TOKEN,
        scopes=token.scope_set,
        is_sheriff=selectors.user_is_sheriff(user=token.user),
        token_id=token.id,
        token_expires_at=token.expires_at,
    )


def principal_from_user(user: Any, *, csrf_ok: bool) -> Principal:
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    return Principal(
        user=user,
        via=Via.SESSION,
        scopes=SESSION_SCOPES,
        is_sheriff=selectors.user_is_sheriff(user=user),
        csrf_ok=csrf_ok,
    )


def bearer_token(value: Any) -> str | None:
    """The token in an `Authorization: Bearer <token>` value (None if it is not one)."""
    if not isinstance(value, str) or not value.lower().startswith(BEARER):
        return None
    return value[len(BEARER) :].strip() or None


def _csrf_ok(request: HttpRequest) -> bool:
    # Django's own check (token, Origin and, over HTTPS, Referer), run on demand because the
    # GraphQL view serves anonymous POSTs too, which carry no cookie and need no token.
    refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})  # type: ignore[arg-type]
    return refused is None


def principal_for_request(request: HttpRequest) -> Principal:
    """Sync (reads the session and the database): call it through sync_to_async from async code."""
    header = request.headers.get("Authorization")
    if header is not None:
        raw = bearer_token(header)
        if raw is None:
            raise InvalidCredentials("Authorization must be 'Bearer <API token>'.")
        return principal_from_token(raw)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    return principal_from_user(user, csrf_ok=_csrf_ok(request))


def still_valid(principals: list[Principal]) -> list[bool]:
    """For connections that stay open: is each principal's credential still good? One query for
    all token principals; anonymous and session principals stay valid."""
    token_ids = [p.token_id for p in principals if p.token_id is not None]
    valid = selectors.api_tokens_valid(ids=token_ids) if token_ids else set()
    return [p.token_id is None or p.token_id in valid for p in principals]
