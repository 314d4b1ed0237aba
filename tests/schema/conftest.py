"""Fixtures for the schema tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from schema.errors import REPEATS


@pytest.fixture(autouse=True)
def _fresh_log_repeats() -> Iterator[None]:
    """Each test sees its client errors logged (identical refusals are logged once a minute)."""
    REPEATS.clear()
    yield
    REPEATS.clear()
