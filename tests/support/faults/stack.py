"""The stack under test: the pipeline's processes, each service behind a proxy the caller cuts."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from tests.support.processes import VENV_BIN, free_port
from tests.support.workers import (
    Process,
    TcpProxy,
    celery_worker_args,
    delete_queue,
    manage,
    queue_has_consumer,
    run_process,
)


@dataclass
class Proxied:
    """A service URL and the same URL through a proxy the caller cuts and restores."""

    real: str
    proxy: TcpProxy
    url: str

    @classmethod
    def of(cls, url: str) -> Proxied:
        parts = urlsplit(url)
        proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or _DEFAULT_PORTS[parts.scheme]))
        userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return cls(real=url, proxy=proxy, url=urlunsplit(parts._replace(netloc=f"{userinfo}127.0.0.1:{proxy.port}")))


_DEFAULT_PORTS = {"mysql": 3306, "redis": 6379, "amqp": 5672}


def _daphne_args(port: int) -> list[str]:
    return [str(VENV_BIN / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]


class FaultStack:
    """The pipeline's processes, each service behind a proxy; processes by name, started and killed
    at will (`kind` is one of KINDS; a name may be anything, so two relays can run at once)."""

    KINDS = ("web", "relay", "worker", "listener_tasks", "listener_pushes")
    # Two ingestion workers, as production runs several: a killed one's batches go to the other.
    STARTED = ("web", "relay", "worker", "worker-2", "listener_tasks", "listener_pushes")

    def __init__(
        self,
        tmp_path: Path,
        env: Mapping[str, str],
        *,
        database_url: str,
        broker_url: str,
        redis_url: str,
    ) -> None:
        self.tmp_path = tmp_path
        self.database = Proxied.of(database_url)
        self.broker = Proxied.of(broker_url)
        self.redis = Proxied.of(redis_url)
        self.port = free_port()  # kept across restarts: a restarted Daphne answers at the same URL
        self.url = f"http://127.0.0.1:{self.port}"
        self.pulse_owner = env["PULSE_QUEUE_USER"]
        self.env = {
            **env,
            "DATABASE_URL": self.database.url,
            "CELERY_BROKER_URL": self.broker.url,
            "PULSE_URL": self.broker.url,
            "REDIS_URL": self.redis.url,
        }
        self.processes: dict[str, tuple[contextlib.ExitStack, Process]] = {}
        self.ended: list[tuple[str, Process]] = []  # killed or stopped, for their logs
        self._starts = itertools.count()

    def _argv(self, kind: str) -> list[str]:
        if kind == "web":
            return _daphne_args(self.port)
        if kind == "worker":
            return celery_worker_args(f"faults-{next(self._starts)}")
        if kind == "relay":
            return manage("live_relay")
        return manage(f"pulse_{kind}")

    def start(self, name: str, kind: str | None = None) -> Process:
        assert name not in self.processes, f"{name} is already running"
        stack = contextlib.ExitStack()
        kind = kind or name.split("-")[0]
        process = stack.enter_context(run_process(self._argv(kind), self.tmp_path, name, self.env))
        self.processes[name] = (stack, process)
        return process

    def start_all(self) -> None:
        """Start whatever of STARTED is not running, and wait until the stack consumes."""
        for name in self.STARTED:
            if name not in self.processes:
                self.start(name)
        self.wait_ready()

    def kill(self, name: str) -> None:
        """SIGKILL (the process and its children): a crash, nothing cleaned up."""
        stack, process = self.processes.pop(name)
        process.kill()
        stack.close()
        self.ended.append((name, process))

    def stop(self, name: str, grace: float = 15.0) -> float | None:
        """SIGTERM, as an orchestrator stops a process, then SIGKILL after `grace` seconds. Returns
        how long it took to exit, or None when it had to be killed."""
        stack, process = self.processes.pop(name)
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.process.pid, signal.SIGTERM)
        try:
            process.process.wait(timeout=grace)
            took: float | None = time.monotonic() - started
        except subprocess.TimeoutExpired:
            process.kill()
            took = None
        stack.close()
        self.ended.append((name, process))
        return took

    def wait_ready(self, timeout: float = 90) -> None:
        """Daphne answers, both listeners and the worker consume (checked on the real broker)."""
        real = self.broker.real
        queues = [f"queue/{self.pulse_owner}/tasks", f"queue/{self.pulse_owner}/resultsets"]
        wait(lambda: _answers(f"{self.url}/healthz/live"), timeout=timeout, what="Daphne", logs=self.logs)
        for queue in [*queues, "store_pulse_tasks", "store_pulse_pushes"]:
            wait(partial(queue_has_consumer, real, queue), timeout=timeout, what=f"a consumer on {queue}",
                 logs=self.logs)  # fmt: skip

    def logs(self) -> str:
        running = [(name, p) for name, (_, p) in self.processes.items()]
        return "\n".join(f"--- {name}\n{p.log()[-2500:]}" for name, p in [*self.ended[-3:], *running])

    def restore_all(self) -> None:
        """Every proxy open again (a scenario that failed half-way leaves none cut)."""
        for service in (self.database, self.broker, self.redis):
            if service.proxy._server is None:
                service.proxy.restore()

    def stop_extra(self) -> None:
        """Stop what a fault added (a second relay)."""
        for name in [n for n in self.processes if n not in self.STARTED]:
            self.stop(name)

    def close(self) -> None:
        for _, process in self.processes.values():  # SIGTERM to all first: they stop in parallel
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.process.pid, signal.SIGTERM)
        for name in list(self.processes):
            self.stop(name)
        for service in (self.database, self.broker, self.redis):
            service.proxy.cut()


def delete_pulse_queues(pulse_url: str, owner: str) -> None:
    """The listeners' durable queues (`queue/<owner>/...`): gone with the stack, or they would keep
    receiving a copy of every later Pulse message in the vhost."""
    for name in ("tasks", "resultsets"):
        with contextlib.suppress(Exception):  # never declared: nothing to delete
            delete_queue(pulse_url, f"queue/{owner}/{name}")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait(condition: Callable[[], bool], *, timeout: float, what: str, logs: Callable[[], str] = str) -> float:
    """Poll until `condition()`; returns when it held (time.monotonic()). The limit only keeps a
    broken stack from hanging the run: it is not a timing assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()[-9000:]}")
        time.sleep(0.2)
    return time.monotonic()
