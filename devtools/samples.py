"""The Pulse and API sample files the project ships (sample_data/pulse_consumer, see
sample_data/PROVENANCE.md), for the local sample server, the replay and the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data" / "pulse_consumer"


def sample_read(name: str) -> Any:
    """sample_data/pulse_consumer/<name>.json, parsed (a fresh object on every call)."""
    return json.loads((SAMPLES / f"{name}.json").read_text())


SAMPLE_LOGS = SAMPLES.parent / "logs"


def sample_log_bytes(name: str) -> bytes:
    """sample_data/logs/<name> as stored (the raw logs are gzip files)."""
    return (SAMPLE_LOGS / name).read_bytes()


SAMPLE_BUGS = SAMPLES.parent / "bugs"


def sample_bugs(name: str) -> list[dict[str, Any]]:
    """The Bugzilla bugs of sample_data/bugs/<name> (a REST `{"bugs": [...]}` body)."""
    return list(json.loads((SAMPLE_BUGS / name).read_text())["bugs"])


def sample_bug_files() -> list[str]:
    return [
        "bug_list.json",
        *sorted(f"bugscache_population/{p.name}" for p in (SAMPLE_BUGS / "bugscache_population").glob("*.json")),
    ]
