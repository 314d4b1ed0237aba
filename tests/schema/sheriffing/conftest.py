"""A module's stack for the sheriffing tests: a relay and a Daphne on the test database, with the
real token authenticator. As with the live tests, data is committed and flushed at module end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from pytest_django import DjangoDbBlocker

from tests.schema.live.conftest import LiveStack
from tests.support.processes import run_daphne, run_manage

SHERIFFING_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.sheriffing_settings"}


@pytest.fixture(scope="module")
def sheriff_stack(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    tmp_path = tmp_path_factory.mktemp("sheriffing")
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)
    try:
        with (
            run_manage(tmp_path, "live_relay", env=SHERIFFING_SETTINGS) as relay,
            run_daphne(tmp_path, env=SHERIFFING_SETTINGS) as daphne,
        ):
            yield LiveStack(daphne=daphne, relay=relay, tmp_path=tmp_path)
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def committed(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield
