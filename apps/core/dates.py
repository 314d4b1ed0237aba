"""Time values as the upstream services write them."""

from __future__ import annotations

import datetime


def iso8601_epoch_seconds(value: str) -> int:
    """An ISO 8601 time (Taskcluster's and GitHub's; `Z` or an offset, UTC when it has none) as whole
    epoch seconds, truncated as Treeherder's to_timestamp does."""
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp())


def iso8601_utc(value: str) -> datetime.datetime:
    """An ISO 8601 time as an aware UTC datetime, in whole seconds (see iso8601_epoch_seconds)."""
    return datetime.datetime.fromtimestamp(iso8601_epoch_seconds(value), tz=datetime.UTC)
