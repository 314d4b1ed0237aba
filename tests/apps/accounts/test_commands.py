"""Local accounts from the command line: a sheriff, and a bot account that has no password."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from apps.accounts import selectors


def test_create_account_makes_sheriffs_and_password_less_bots(db: None) -> None:
    out = StringIO()
    call_command("create_account", "sheriff1", "--email", "s@example.com", "--sheriff", "--no-password", stdout=out)
    call_command("create_account", "bot1", "--no-password", stdout=out)

    sheriff, bot = (get_user_model().objects.get(username=name) for name in ("sheriff1", "bot1"))
    assert out.getvalue() == "Created sheriff sheriff1.\nCreated user bot1.\n"
    assert selectors.user_is_sheriff(user=sheriff) and not selectors.user_is_sheriff(user=bot)
    assert not bot.has_usable_password()
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("api_token", "create", "nobody", "ci")
    with pytest.raises(CommandError, match="expires after 1 to 365 days"):
        call_command("api_token", "create", "bot1", "ci", "--days", "400", stdout=StringIO(), stderr=StringIO())
