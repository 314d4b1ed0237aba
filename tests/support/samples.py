"""The Pulse sample data the project ships (sample_data/, see its PROVENANCE.md), loaded for tests."""

from __future__ import annotations

import copy
import functools
from typing import Any

from devtools.samples import sample_read

_load = functools.cache(sample_read)


def sample(name: str) -> Any:
    """A fresh copy of sample_data/pulse_consumer/<name>.json."""
    return copy.deepcopy(_load(name))
