"""Shared fixtures. Test data comes from tests/factories; these are only the cross-cutting pieces."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from tests.support.processes import RunningServer, run_daphne

pytest_plugins = ["tests.support.ingest"]

# The sample services run on 127.0.0.1; production lets outbound HTTP reach no loopback address.
LOOPBACK = "127.0.0.0/8"


@pytest.fixture(autouse=True, scope="session")
def _outbound_may_reach_loopback() -> Iterator[None]:
    """What bin/test exports, for a plain `pytest` run too: in this process and the ones tests start.
    (tests/reliability/test_security.py turns it off to see the address check refuse.)"""
    os.environ.setdefault("OUTBOUND_ALLOWED_NETWORKS", LOOPBACK)
    with override_settings(OUTBOUND_ALLOWED_NETWORKS=os.environ["OUTBOUND_ALLOWED_NETWORKS"].split(",")):
        yield


@pytest.fixture
def reference_data(db: None) -> None:
    """Repositories, branch rules and failure classifications from the fixtures."""
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def live_server_daphne(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    """A real Daphne on a free port, using the test database (tests commit their data)."""
    with run_daphne(tmp_path) as server:
        yield server
