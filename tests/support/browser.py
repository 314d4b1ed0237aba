"""Headless Chromium for tests and benchmarks: tests/browser/driver.mjs (playwright-core) as a
subprocess, one JSON command per line. `Browser.call("eval", expression=...)` and friends."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"


class BrowserError(AssertionError):
    pass


class Browser:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._proc = subprocess.Popen(
            ["node", str(BROWSER_DIR / "driver.mjs")],
            cwd=BROWSER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def call(self, cmd: str, **args: Any) -> Any:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        request_id = next(self._ids)
        self._proc.stdin.write(json.dumps({"id": request_id, "cmd": cmd, "args": args}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise BrowserError(f"the browser driver exited (code {self._proc.poll()}) during {cmd}")
        answer = json.loads(line)
        if answer["id"] != request_id:
            raise BrowserError(f"answer {answer['id']} to request {request_id}")
        if not answer["ok"]:
            raise BrowserError(f"{cmd} {args}: {answer['error']}")
        return answer["value"]

    def eval(self, expression: str) -> Any:
        return self.call("eval", expression=expression)

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Wait (checking every frame) until `expression` is truthy in the page; its value."""
        return self.call("waitFor", expression=expression, timeout=int(timeout * 1000))

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.close()
