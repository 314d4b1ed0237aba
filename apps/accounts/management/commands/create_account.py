"""A local account, for deployments without an OIDC provider, or a bot's account for its tokens.

`manage.py create_account NAME --email x@y --sheriff` asks for a password (Enter for none: the
account can then act only through API tokens). `createsuperuser` works too; superusers count as
sheriffs.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.accounts import services


class Command(BaseCommand):
    help = "Create a local account, optionally a sheriff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--sheriff", action="store_true", help="Add the account to the sheriff group.")
        parser.add_argument("--no-password", action="store_true", help="No password: API tokens only.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = None
        if not options["no_password"]:
            password = getpass.getpass("Password (Enter for none): ") or None
        user = services.account_create(
            username=options["username"], email=options["email"], password=password, sheriff=options["sheriff"]
        )
        role = "sheriff" if options["sheriff"] else "user"
        self.stdout.write(f"Created {role} {user.get_username()}.")
