"""Real ingestion processes for tests: Celery workers, Pulse listeners and replay_pulse, against
the test database, the /ingest vhost and the sample HTTP server; and a TCP proxy to cut MariaDB."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from kombu import Connection

from tests.support.processes import ROOT, VENV_BIN, process_env

CELERY_QUEUES = ("store_pulse_tasks", "store_pulse_pushes")
LOG_PARSER_QUEUES = (
    "log_parser_fail_raw_sheriffed",
    "log_parser_fail_json_sheriffed",
    "log_parser_fail_raw_unsheriffed",
    "log_parser_fail_json_unsheriffed",
    "log_parser",
)
ALL_QUEUES = CELERY_QUEUES + LOG_PARSER_QUEUES


@dataclass
class Process:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the process and its children (a Celery worker's pool): a crash, no clean-up."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def run_process(args: list[str], tmp_path: Path, name: str, env: Mapping[str, str]) -> Iterator[Process]:
    log_path = tmp_path / f"{name}-{uuid.uuid4().hex[:6]}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=process_env(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    handle = Process(process=proc, log_path=log_path)
    try:
        yield handle
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                handle.kill()


def manage(*args: str) -> list[str]:
    return [str(VENV_BIN / "python"), "manage.py", *args]


def celery_worker_args(name: str, queues: tuple[str, ...] = CELERY_QUEUES) -> list[str]:
    return [
        str(VENV_BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-Q",
        ",".join(queues),
        "-c",
        "1",
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    ]


def purge_queues(broker_url: str, queues: tuple[str, ...] = ALL_QUEUES) -> None:
    with Connection(broker_url) as conn:
        channel = conn.channel()
        for queue in queues:
            try:
                channel.queue_purge(queue)
            except Exception:  # noqa: BLE001 - a queue that does not exist yet has nothing to purge
                channel = conn.channel()


def delete_queue(broker_url: str, queue: str) -> None:
    with Connection(broker_url) as conn:
        conn.channel().queue_delete(queue)


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, logs: Callable[[], str] = str) -> None:
    """Poll until `condition()`; fail with `what` and the processes' logs. Not a timing assertion:
    the limit only stops a broken pipeline from hanging the suite."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{logs()[-6000:]}")
        time.sleep(0.2)


def queue_has_consumer(broker_url: str, queue: str) -> bool:
    with Connection(broker_url) as conn:
        try:
            _, _, consumers = conn.channel().queue_declare(queue, passive=True)
        except Exception:  # noqa: BLE001 - not declared yet
            return False
        return bool(consumers)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to an upstream address; `cut()` is an outage as a client sees one
    (every connection dropped, new ones refused), `restore()` ends it on the same port.

    `stall()` is the other kind of outage: a server that accepts connections and never answers
    (hung, or a dead hop that still completes handshakes). Connections are accepted and kept open,
    nothing is forwarded either way. `resume()` forwards again; a connection that carried traffic
    during the stall is closed then (its client, which timed out, has given up on it, and forwarding
    its stale requests late would run them), the others carry on."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._server: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self.start()

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self.port = server.getsockname()[1]
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.add(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._flowing.wait()  # stalled: accepted, and held without an upstream until resume()
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.add(upstream)
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self._flowing.is_set():
                    self._flowing.wait()
                    break  # traffic during the stall: close this connection (see the class doc)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self) -> None:
        if self._server is not None:
            # shutdown() first: on Linux, close() alone does not wake the thread blocked in accept(),
            # which would then accept (and forward) one more connection "during" the outage.
            with suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.start()

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()


@contextmanager
def proxied(url: str, default_port: int) -> Iterator[tuple[TcpProxy, str]]:
    """A TcpProxy in front of the service a URL names, and that URL through the proxy; cut at the end."""
    parts = urlparse(url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or default_port))
    try:
        yield proxy, url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    finally:
        proxy.cut()
