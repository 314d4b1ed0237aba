"""Sign-in pages: the session endpoint hands out the CSRF cookie, and password guessing is limited."""

from __future__ import annotations

import itertools
import time
import uuid
import zlib
from typing import Any

from django.test import Client, override_settings

from tests.support.accounts import PASSWORD, make_user


def test_session_endpoint_sets_the_csrf_cookie_and_names_the_user(db: None) -> None:
    make_user("session-user")
    client = Client()
    anonymous = client.get("/accounts/session/")
    client.login(username="session-user", password=PASSWORD)
    signed_in = client.get("/accounts/session/")

    assert anonymous.json()["username"] is None
    assert "csrftoken" in anonymous.cookies
    assert signed_in.json() == {
        "username": "session-user",
        "loginUrl": "/accounts/login/",
        "logoutUrl": "/accounts/logout/",
    }


def _name_far_from_its_window_edge(prefix: str, period: int = 3600, margin: int = 600) -> str:
    """An account name whose rate window does not end within `margin` seconds of now.

    django-ratelimit's windows are fixed, each ending at an offset from the hour set by the key's
    CRC32: a fixed name made this test fail whenever a run crossed that second (the count restarts)."""
    now = int(time.time()) % period
    for n in itertools.count():
        name = f"{prefix}{n}"
        edge = zlib.crc32(name.encode()) % period
        if margin < (edge - now) % period:
            return name
    raise AssertionError("unreachable")


def test_password_guessing_is_rate_limited_per_account(db: None) -> None:
    guessed = _name_far_from_its_window_edge("guessed")
    make_user(guessed)
    client = Client()

    def attempt(username: str, password: str) -> Any:
        return client.post("/accounts/login/", {"username": username, "password": password})

    with override_settings(LOGIN_RATE_LIMIT="3/h", RATELIMIT_CACHE_PREFIX=f"rl-test-{uuid.uuid4().hex}:"):
        wrong = [attempt(guessed, f"guess{n}").status_code for n in range(3)]
        blocked = attempt(guessed, PASSWORD).status_code
        other_account = attempt("someone-else", "guess").status_code

    assert wrong == [200, 200, 200]  # the form again, with its error
    assert blocked == 403  # even the right password, once over the limit
    assert other_account == 200
