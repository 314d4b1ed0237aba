"""The hashed lock files match requirements*.txt (bin/lock compiles them; bin/run and bin/test
install them with pip --require-hashes)."""

from __future__ import annotations

import shutil
from pathlib import Path

from devtools.lockfiles import ROOT, problems


def test_the_committed_locks_match_the_requirements() -> None:
    assert problems() == []


def test_a_pin_changed_without_compiling_the_lock_is_caught(tmp_path: Path) -> None:
    for name in ("requirements.txt", "requirements-dev.txt", "requirements.lock", "requirements-dev.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("Django==6.1.3", "Django==6.1.4") + "newthing==1.0\n")

    found = problems(tmp_path)

    assert "requirements.txt pins django==6.1.4, requirements.lock has 6.1.3" in found
    assert "requirements.txt pins newthing==1.0, requirements.lock has nothing" in found
    assert "requirements.lock was compiled from other contents of requirements.txt" in found
    # requirements-dev.txt includes requirements.txt: its lock is stale too.
    assert "requirements-dev.lock was compiled from other contents of requirements-dev.txt" in found
