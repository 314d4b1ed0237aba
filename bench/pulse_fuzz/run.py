"""bench/pulse_fuzz: tests/reliability/test_pulse_fuzz.py with 10,000 adversarial Pulse messages.

bin/test runs the same test with 500 (hypothesis draws about 3 ms of CPU a message, so 10,000 take
half a minute of generation alone on an idle core, several minutes on a loaded machine). Same
assertions: every bad message counted and logged exactly once under its reason, every valid one
stored, no process crashed, reconnected or logged an error. Prints the test's own figures.

    bin/bench pulse_fuzz
    PULSE_FUZZ_MESSAGES=50000 PULSE_FUZZ_SEED=123 bin/bench pulse_fuzz
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    env = dict(os.environ)
    env.setdefault("PULSE_FUZZ_MESSAGES", "10000")
    env.setdefault("SECRET_KEY", "bench-secret-key-not-for-production-0123456789abcdefghij")
    started = time.monotonic()
    print(f"bench/pulse_fuzz: {env['PULSE_FUZZ_MESSAGES']} messages; load {os.getloadavg()}", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/reliability/test_pulse_fuzz.py", "-s", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("pulse fuzz:") or "passed" in line or "failed" in line:
            print(f"  {line}")
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-3000:])
    print(f"bench/pulse_fuzz: {time.monotonic() - started:.0f} s in all; load {os.getloadavg()}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
