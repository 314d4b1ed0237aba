"""The Pulse sample data the project ships (sample_data/, see its PROVENANCE.md), loaded for tests."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data" / "pulse_consumer"


@functools.cache
def _load(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def sample(name: str) -> Any:
    """A fresh copy of sample_data/pulse_consumer/<name>.json."""
    return copy.deepcopy(_load(name))
