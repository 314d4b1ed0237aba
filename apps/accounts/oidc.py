"""Sign-in through an OpenID Connect provider (mozilla-django-oidc), used when OIDC_* settings name one.

Treeherder signs in through Auth0 and names users `<provider>/<email>`; the sheriff role comes from
the groups claim. As in Treeherder, the role is re-evaluated at every sign-in that carries the
claim, and kept as it was when the claim is absent (silent renewals omit it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from apps.accounts import services


def username_from_claims(email: str, claims: dict[str, Any] | None = None) -> str:
    return f"{settings.OIDC_USERNAME_PREFIX}{email}"


class SheriffOIDCBackend(OIDCAuthenticationBackend):
    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        # mozilla-django-oidc checks the signature and nonce but not the audience; an ID token
        # issued to another client of the same provider must not sign anyone in here.
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued to another client.")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        # Providers (Auth0 among them) put custom claims such as groups in the ID token; the
        # userinfo answer wins where both have a claim.
        userinfo: dict[str, Any] = super().get_userinfo(access_token, id_token, payload)
        return {**payload, **userinfo}

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        email = claims.get("email")
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username=username_from_claims(email))

    def create_user(self, claims: dict[str, Any]) -> Any:
        user = super().create_user(claims)
        return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        groups = claims.get(settings.OIDC_GROUPS_CLAIM)
        if isinstance(groups, list):
            sheriff = bool(set(groups) & set(settings.OIDC_SHERIFF_GROUPS))
            services.user_sheriff_set(user=user, sheriff=sheriff)
        return user
