"""`daphne` under tracemalloc, for SOAK_TRACEMALLOC=1: where the web process's memory grows.

Each SIGUSR1 writes a snapshot (tracemalloc's own format) to $SOAK_TRACEMALLOC_DIR/snap<N>.pickle;
bench/soak/run.py takes one at the end of the warm-up and one when the stream stops and prints the
allocation sites that grew most between them. Tracing slows the process (about 2x), so the
figures of a traced run are not the soak's figures.
"""

from __future__ import annotations

import os
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType


def _dump(signum: int, frame: FrameType | None) -> None:
    directory = Path(os.environ["SOAK_TRACEMALLOC_DIR"])
    number = len(list(directory.glob("snap*.pickle")))
    tracemalloc.take_snapshot().dump(str(directory / f"snap{number}.pickle"))


if __name__ == "__main__":
    tracemalloc.start(8)
    signal.signal(signal.SIGUSR1, _dump)
    from daphne.cli import CommandLineInterface

    sys.argv = ["daphne", *sys.argv[1:]]
    CommandLineInterface.entrypoint()
