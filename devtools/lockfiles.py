"""The hashed lock files: every transitive Python dependency pinned with its hashes.

`requirements.lock` is compiled from requirements.txt (what bin/run installs), and
`requirements-dev.lock` from requirements-dev.txt (bin/test and bin/bench), by `bin/lock` with uv,
for CPython 3.12 on x86_64 Linux (this project's machines). Installs use `pip --require-hashes`, so
a package whose file differs from the one locked is refused.

`python devtools/lockfiles.py --check` (run by bin/run and bin/test before installing, and by the
test suite) fails when a lock does not match its requirements: a pin changed or added in
requirements*.txt since the lock was compiled. Stdlib only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"requirements.lock": "requirements.txt", "requirements-dev.lock": "requirements-dev.txt"}
INPUTS_LINE = "# inputs-sha256: "
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_files(path: Path) -> list[Path]:
    """The file and every file it includes with `-r`, in order."""
    files = [path]
    for line in path.read_text().splitlines():
        if line.startswith(("-r ", "--requirement ")):
            files += requirement_files(path.parent / line.split(maxsplit=1)[1].strip())
    return files


def inputs_hash(requirements: Path) -> str:
    digest = hashlib.sha256()
    for path in requirement_files(requirements):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for file in requirement_files(path) if path.suffix == ".txt" else [path]:
        for line in file.read_text().splitlines():
            match = _PIN.match(line.strip())
            if match:
                found[_name(match.group(1))] = match.group(2)
    return found


def problems(root: Path = ROOT) -> list[str]:
    found = []
    for lock_name, requirements_name in LOCKS.items():
        lock, requirements = root / lock_name, root / requirements_name
        if not lock.is_file():
            found.append(f"{lock_name} is missing")
            continue
        text = lock.read_text()
        locked = pins(lock)
        for name, version in pins(requirements).items():
            if locked.get(name) != version:
                found.append(
                    f"{requirements_name} pins {name}=={version}, {lock_name} has {locked.get(name, 'nothing')}"
                )
        if f"{INPUTS_LINE}{inputs_hash(requirements)}" not in text:
            found.append(f"{lock_name} was compiled from other contents of {requirements_name}")
        unhashed = [line for line in text.splitlines() if _PIN.match(line) and not line.rstrip().endswith("\\")]
        if unhashed:
            found.append(f"{lock_name}: entries without hashes: {', '.join(unhashed[:3])}")
    return found


def main(argv: list[str]) -> int:
    if argv[1:] == ["--check"]:
        found = problems()
        for problem in found:
            print(f"lock check: {problem}", file=sys.stderr)
        if found:
            print("lock check: run bin/lock to compile the lock files again", file=sys.stderr)
        return 1 if found else 0
    if len(argv) == 3 and argv[1] == "--stamp":
        # bin/lock: record which requirements a freshly compiled lock came from.
        lock = ROOT / argv[2]
        text = lock.read_text()
        text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(INPUTS_LINE))
        lock.write_text(f"{INPUTS_LINE}{inputs_hash(ROOT / LOCKS[argv[2]])}\n{text}")
        return 0
    print("usage: lockfiles.py --check | --stamp <lock file>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
