"""Shared fixtures. Test data comes from tests/factories; these are only the cross-cutting pieces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.support.processes import RunningServer, run_daphne

pytest_plugins = ["tests.support.ingest"]


@pytest.fixture
def reference_data(db: None) -> None:
    """Repositories, branch rules and failure classifications from the fixtures."""
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def live_server_daphne(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    """A real Daphne on a free port, using the test database (tests commit their data)."""
    with run_daphne(tmp_path) as server:
        yield server
