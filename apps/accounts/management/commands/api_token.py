"""Create, list and revoke API tokens: `manage.py api_token create USER NAME --scope classify`.

The plain token is printed once, on creation, to stdout only; nothing logs it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts import selectors, services
from apps.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it (once).")
        create.add_argument("username")
        create.add_argument("name")
        create.add_argument("--scope", action="append", choices=ApiToken.Scope.values, dest="scopes")
        create.add_argument("--days", type=int, default=90, help="Days until it expires (default 90).")
        listing = sub.add_parser("list", help="A user's tokens (never the secrets).")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by id.")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "revoke":
            token = services.api_token_revoke(user=None, token_id=options["id"])
            if token is None:
                raise CommandError(f"No API token {options['id']}.")
            self.stdout.write(f"Revoked token {token.id} ({token.name}) of {token.user.get_username()}.")
            return
        try:
            user = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {options['username']!r}.") from None
        if action == "list":
            for token in selectors.api_tokens_of(user_id=user.pk):
                state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
                self.stdout.write(f"{token.id}\t{token.prefix}…\t{token.name}\t{token.scopes}\t{state}")
            return
        try:
            token, raw = services.api_token_create(
                user=user, name=options["name"], scopes=options["scopes"] or ["read"], expires_in_days=options["days"]
            )
        except services.TokenInputError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Token {token.id} ({token.scopes}, expires {token.expires_at:%Y-%m-%d}); shown only now:")
        self.stdout.write(raw)
