"""ISO 8601 times from Taskcluster and GitHub, read as Treeherder's to_timestamp reads them."""

from __future__ import annotations

import datetime

import pytest

from apps.core.dates import iso8601_epoch_seconds, iso8601_utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-06-26T19:36:10.316Z", 1561577770),  # Taskcluster: milliseconds, Z (truncated, not rounded)
        ("2019-06-26T19:36:10.999Z", 1561577770),
        ("2019-06-26T21:36:10+02:00", 1561577770),  # GitHub: an offset
        ("2019-06-26T19:36:10", 1561577770),  # no zone: UTC
    ],
)
def test_iso8601_times_are_whole_epoch_seconds(value: str, expected: int) -> None:
    assert iso8601_epoch_seconds(value) == expected
    assert iso8601_utc(value) == datetime.datetime.fromtimestamp(expected, tz=datetime.UTC)
