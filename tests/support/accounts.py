"""Clients for the sheriffing tests: users, sheriffs and API tokens, and callers of the API the
way a browser (session cookie + CSRF token) and a bot (bearer token) call it over real HTTP."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import requests
from django.utils import timezone

from apps.accounts import services
from apps.accounts.models import ApiToken

PASSWORD = "correct horse battery staple"


def make_user(username: str, *, sheriff: bool = False, password: str | None = PASSWORD) -> Any:
    return services.account_create(
        username=username, email=f"{username}@example.com", password=password, sheriff=sheriff
    )


def make_token(user: Any, *scopes: str, expired: bool = False, revoked: bool = False) -> str:
    token, raw = services.api_token_create(user=user, name="test", scopes=scopes or ["read"], expires_in_days=30)
    if expired:
        ApiToken.objects.filter(id=token.id).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    if revoked:
        services.api_token_revoke(user=user, token_id=token.id)
    return raw


@dataclass
class Caller:
    """Posts GraphQL to a server: anonymously, with a bearer token, or with a signed-in session."""

    base_url: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)
    csrf: bool = True

    def sign_in(self, username: str, password: str = PASSWORD) -> Caller:
        """Django's login form, the way a browser submits it."""
        self.session.get(f"{self.base_url}/accounts/login/", timeout=30).raise_for_status()
        response = self.session.post(
            f"{self.base_url}/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.text
        assert "sessionid" in self.session.cookies
        return self

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf and "csrftoken" in self.session.cookies:
            headers["X-CSRFToken"] = self.session.cookies["csrftoken"]
        response = self.session.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def error_code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    if not errors:
        return None
    return str((errors[0].get("extensions") or {}).get("code") or f"NO CODE: {errors[0]['message']}")
