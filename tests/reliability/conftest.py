"""Fixtures of the reliability suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import setup_databases, teardown_databases
from pytest_django import DjangoDbBlocker


@pytest.fixture(scope="module")
def module_database(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The test database, for a module whose processes live across its tests (so its tests commit,
    and take no `db` fixture that would flush or roll back between them). pytest-django creates the
    test database only when some selected test asks for `db`; when none does (`-k` picks this module
    alone), create it here."""
    with django_db_blocker.unblock():
        created = None
        if not connection.settings_dict["NAME"].startswith("test_"):
            created = setup_databases(verbosity=0, interactive=False, aliases=dict.fromkeys(["default"]))
        try:
            yield
        finally:
            if created is not None:
                teardown_databases(created, verbosity=0)
