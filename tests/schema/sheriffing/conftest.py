"""A module's stack for the sheriffing tests: a relay and a Daphne on the test database, with the
real token authenticator. As with the live tests, data is committed and flushed at module end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django import DjangoDbBlocker

from tests.schema.live.conftest import (
    LiveStack,
    committed,  # noqa: F401 - the same fixture, for this folder's tests
    running_live_stack,
)

SHERIFFING_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.sheriffing_settings"}


@pytest.fixture(scope="module")
def sheriff_stack(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    tmp_path = tmp_path_factory.mktemp("sheriffing")
    with running_live_stack(tmp_path, django_db_blocker, SHERIFFING_SETTINGS) as stack:
        yield stack
