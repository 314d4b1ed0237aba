"""The Procfile's process types, started as an operator runs them: each on its own, from the
Procfile's own command line (through bash, which expands ${PORT:-8000} and the like), so the soak
exercises exactly what is deployed rather than a benchmark's idea of it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import ROOT
from tests.support.workers import Process, run_process


def procfile_commands(*names: str) -> dict[str, str]:
    commands = {}
    for path in (ROOT / "Procfile", ROOT / "Procfile.quickstart"):
        for line in path.read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#") and ":" in line:
                name, command = line.split(":", 1)
                commands[name.strip()] = command.strip()
    missing = set(names) - set(commands)
    if missing:
        raise SystemExit(f"not in the Procfile: {sorted(missing)}")
    return {name: commands[name] for name in names}


@contextmanager
def run_procfile_process(name: str, command: str, tmp_path: Path, env: Mapping[str, str]) -> Iterator[Process]:
    """Its own process group (run_process): stopping it with SIGTERM reaches a Celery worker's pool."""
    with run_process(["bash", "-c", f"exec {command}"], tmp_path, name, env) as process:
        yield process
