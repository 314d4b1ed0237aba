"""A live stack for the module: a relay process and a Daphne process on the test database.

The processes live for the whole module (starting them per test would dominate the run time), so
the module's tests commit their data (no per-test rollback) and isolate themselves by creating
their own repository; the database is flushed when the module ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django import DjangoDbBlocker

from tests.support.processes import RunningServer, run_daphne, run_manage

LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}


@dataclass
class LiveStack:
    daphne: RunningServer
    relay: RunningServer
    tmp_path: Path

    @property
    def url(self) -> str:
        return self.daphne.url


@contextmanager
def running_live_stack(
    tmp_path: Path, django_db_blocker: DjangoDbBlocker, settings: Mapping[str, str]
) -> Iterator[LiveStack]:
    """A relay and a Daphne on the test database with `settings`; the database is flushed after."""
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)
    try:
        with (
            run_manage(tmp_path, "live_relay", env=settings) as relay,
            run_daphne(tmp_path, env=settings) as daphne,
        ):
            yield LiveStack(daphne=daphne, relay=relay, tmp_path=tmp_path)
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def live_stack(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    with running_live_stack(tmp_path_factory.mktemp("live"), django_db_blocker, LIVE_SETTINGS) as stack:
        yield stack


@pytest.fixture
def committed(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Database access whose writes commit at once, so the stack's processes see them."""
    with django_db_blocker.unblock():
        yield
