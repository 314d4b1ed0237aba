"""Browser sign-in and sign-out. Local accounts use Django's login form; with an OIDC provider
configured, /accounts/login/ sends the browser to it instead (mozilla-django-oidc's views)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit


# Password guessing: at most LOGIN_RATE_LIMIT attempts per account name (not per IP, which a proxy
# in front would make one for everybody); over it the form answers 403.
@method_decorator(
    ratelimit(group="accounts.login", key="post:username", rate=lambda g, r: settings.LOGIN_RATE_LIMIT, method="POST"),
    name="post",
)
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if settings.OIDC_ENABLED:
            return redirect("oidc_authentication_init")
        return super().get(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a sign-out link on another site cannot sign anyone out."""


@require_GET
@ensure_csrf_cookie
def session(request: HttpRequest) -> JsonResponse:
    """Sets the csrftoken cookie (for the UI's mutations) and says who is signed in."""
    user = request.user
    return JsonResponse(
        {
            "username": user.get_username() if user.is_authenticated else None,
            "loginUrl": "/accounts/login/",
            "logoutUrl": "/accounts/logout/",
        }
    )
