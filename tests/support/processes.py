"""Real processes for tests: Daphne (and later workers) on free ports, against the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_database_url() -> str:
    """DATABASE_URL of the database pytest-django created, for processes started by a test."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"mysql://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 3306}/{s['NAME']}"


def process_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = test_database_url()
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides or {})
    return env


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def _background(
    argv: list[str], log_path: Path, env: Mapping[str, str] | None, url: str = ""
) -> Iterator[RunningServer]:
    """Start a process with its output in `log_path`; terminate it (then kill it) when the block ends."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=process_env(env), stdout=log, stderr=subprocess.STDOUT)
    try:
        yield RunningServer(url=url, process=proc, log_path=log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def run_daphne(tmp_path: Path, env: Mapping[str, str] | None = None) -> Iterator[RunningServer]:
    """Start `daphne config.asgi:application` on a free port and wait until it answers HTTP."""
    port = free_port()
    argv = [str(VENV_BIN / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    with _background(argv, tmp_path / f"daphne-{port}.log", env, url=f"http://127.0.0.1:{port}") as server:
        deadline = time.monotonic() + 60  # a loaded 2-core machine has taken over 30 s
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {server.process.returncode}:\n{server.log()}")
            try:
                requests.get(f"{server.url}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne did not answer within 60 s:\n{server.log()}") from None
                time.sleep(0.1)
        yield server


@contextmanager
def run_manage(tmp_path: Path, *args: str, env: Mapping[str, str] | None = None) -> Iterator[RunningServer]:
    """Run `manage.py <args>` as a background process (a relay, a listener, a worker) until the block ends."""
    log_path = tmp_path / f"manage-{args[0]}-{free_port()}.log"
    with _background([sys.executable, "manage.py", *args], log_path, env) as server:
        time.sleep(0.2)
        if server.process.poll() is not None:
            raise RuntimeError(f"manage.py {args[0]} exited with {server.process.returncode}:\n{server.log()}")
        yield server
