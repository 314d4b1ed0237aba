"""Waiting for the servers a benchmark starts: a free port, and an HTTP server that answers."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request

from tests.support.processes import free_port

__all__ = ["free_port", "wait_http"]


def wait_http(
    url: str, proc: subprocess.Popen[bytes] | None = None, *, timeout: float = 60, path: str = "/healthz"
) -> None:
    """Until `url + path` answers at all (any status: a 503 while the database warms up is up).
    Raises SystemExit when `proc` (the server, if given) exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url + path, timeout=5)  # noqa: S310 - a local bench server
            return
        except urllib.error.HTTPError:
            return
        except (OSError, urllib.error.URLError):
            if proc is not None and proc.poll() is not None:
                raise SystemExit(f"{url}: the server exited with {proc.returncode} before it answered") from None
            if time.monotonic() > deadline:
                raise SystemExit(f"{url}: no answer after {timeout:.0f} s") from None
            time.sleep(0.2)
