"""bench/flood: the Daphne process's memory (RSS) under a flood of connections and of slow readers.

Starts a relay and one Daphne (production settings: LIVE_MAX_CONNECTIONS_PER_ADDRESS 200,
LIVE_MAX_UNACKED_BYTES 1 MiB, LIVE_INIT_TIMEOUT_SECONDS 10) on a scratch database
(<DATABASE_URL name>_flood), and measures its RSS (psutil) before, during and after:

1. **Connections**: FLOOD_ADDRESSES client addresses (127.0.0.1, 127.0.0.2, ...: the loopback
   network is ours) each open FLOOD_PER_ADDRESS sockets, send connection_init and never read.
   Each address gets 200 (the limit), the rest are closed at once with 4013; the keepalive closes
   the 200 with 4001 after about 42 s (12 s quiet, 30 s for a pong).
2. **Slow readers**: FLOOD_SLOW subscribers (graphql-transport-ws) subscribe to a busy stream
   (FLOOD_EVENTS events of about 300 bytes each, about FLOOD_EVENTS * 300 bytes per subscriber)
   and never read nor answer pings. The bound: each is closed once 1 MiB is unacknowledged (4002)
   or a ping goes unanswered for 30 s (4001), so the server holds at most about 1 MiB (plus the
   kernel's socket buffers) per slow reader; a reading subscriber gets every event meanwhile.
3. **Slow readers, legacy protocol** (graphql-ws, no client pongs): FLOOD_SLOW_LEGACY of them, to
   show what the byte bound saves: only Daphne's WebSocket pings (20 s, 30 s to answer) end them.

    bin/bench flood
    FLOOD_ADDRESSES=5 FLOOD_SLOW=20 FLOOD_EVENTS=10000 bin/bench flood

bench/README.md has the figures and the bounds chosen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PY = sys.executable

from bench.support.database import scratch_database_url, setup_database  # noqa: E402
from bench.support.servers import free_port, wait_http  # noqa: E402

ADDRESSES = int(os.environ.get("FLOOD_ADDRESSES", "10"))
PER_ADDRESS = int(os.environ.get("FLOOD_PER_ADDRESS", "300"))
SLOW = int(os.environ.get("FLOOD_SLOW", "50"))
SLOW_LEGACY = int(os.environ.get("FLOOD_SLOW_LEGACY", "10"))
EVENTS = int(os.environ.get("FLOOD_EVENTS", "10000"))
MIB = 1024 * 1024
PROTOCOLS: Any = ["graphql-transport-ws"]


class RssSampler:
    """The process's RSS every 0.2 s in a thread: the peak between start() and stop()."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return int(self.process.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self.rss())

    def start(self) -> RssSampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB"


async def close_code(ws: Any, timeout: float) -> int | None:
    import websockets

    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return -1  # still open


async def connection_flood(url: str, daphne: psutil.Process) -> None:
    import websockets

    before = daphne.memory_info().rss
    sampler = RssSampler(daphne).start()
    sockets: list[Any] = []
    gate = asyncio.Semaphore(50)

    async def one(address: str) -> None:
        async with gate:
            try:
                ws = await websockets.connect(
                    url,
                    subprotocols=PROTOCOLS,
                    local_addr=(address, 0),
                    ping_interval=None,
                )
            except Exception:  # noqa: BLE001 - counted as failed handshakes
                return
            sockets.append(ws)
            # connection_init, then never read: held until the keepalive gives up on it (12 s quiet,
            # then 30 s for a pong), longer than the flood takes to open, however loaded the machine.
            with contextlib.suppress(Exception):
                await ws.send(json.dumps({"type": "connection_init"}))

    started = time.monotonic()
    await asyncio.gather(*(one(f"127.0.0.{a + 1}") for a in range(ADDRESSES) for _ in range(PER_ADDRESS)))
    opened_in = time.monotonic() - started
    # The refused ones are closed at once; the others stay until the keepalive closes them (4001).
    codes = await asyncio.gather(*(close_code(ws, 1.0) for ws in sockets))
    refused = codes.count(4013)
    held = codes.count(-1)
    during = daphne.memory_info().rss
    late = await asyncio.gather(*(close_code(ws, 90) for ws, code in zip(sockets, codes, strict=True) if code == -1))
    await asyncio.sleep(1.0)
    after = daphne.memory_info().rss
    peak = sampler.stop()
    attempts = ADDRESSES * PER_ADDRESS
    print(
        f"  connections: {attempts} attempts from {ADDRESSES} addresses in {opened_in:.1f} s: "
        f"{held} held ({held // max(1, ADDRESSES)} per address), {refused} closed with 4013, "
        f"{attempts - len(sockets)} handshakes failed; the held ones (initialised, never reading) closed "
        f"by the keepalive (4001): {late.count(4001)}/{held}"
    )
    print(
        f"  connections: RSS before {mib(before)}, with {held} open {mib(during)} (peak {mib(peak)}), "
        f"after they closed {mib(after)}; {(during - before) / 1024 / max(1, held):.1f} KiB per held socket"
    )


async def slow_readers(url: str, daphne: psutil.Process, publish: Any, protocol: str, count: int) -> None:
    import websockets

    aliases = " ".join(f"c{i}: cursor" for i in range(25))  # ~300 bytes an event, no database reads
    query = f'subscription {{ jobChanged(repository: "{publish.repository}") {{ {aliases} }} }}'
    subscribe = "subscribe" if protocol == "graphql-transport-ws" else "start"
    before = daphne.memory_info().rss
    slow = []
    for n in range(count):
        # Spread over addresses: the per-address limit is not what this measures.
        ws = await websockets.connect(
            url,
            subprotocols=[protocol],  # type: ignore[list-item]
            local_addr=(f"127.0.1.{n % 250 + 1}", 0),
            max_queue=1,
            ping_interval=None,
        )
        ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()  # connection_ack (legacy: then "ka", left unread)
        await ws.send(json.dumps({"id": "1", "type": subscribe, "payload": {"query": query}}))
        slow.append(ws)
    reader = await websockets.connect(url, subprotocols=PROTOCOLS, ping_interval=None)
    await reader.send(json.dumps({"type": "connection_init"}))
    await reader.recv()
    await reader.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    received = 0

    async def read() -> None:
        nonlocal received
        async for raw in reader:
            message = json.loads(raw)
            if message["type"] == "ping":
                await reader.send(json.dumps({"type": "pong", "payload": message.get("payload")}))
            elif message["type"] == "next":
                received += 1

    reading = asyncio.create_task(read())
    await asyncio.sleep(1.0)
    sampler = RssSampler(daphne).start()
    started = time.monotonic()
    await asyncio.to_thread(publish, EVENTS)
    codes = await asyncio.gather(*(close_code(ws, 90) for ws in slow))
    elapsed = time.monotonic() - started
    for _ in range(600):  # the reader may lag on a loaded machine: up to two minutes more
        if received >= EVENTS:
            break
        await asyncio.sleep(0.2)
    peak = sampler.stop()
    await reader.close()
    reading.cancel()
    await asyncio.sleep(2.0)
    after = daphne.memory_info().rss
    closed = {str(code): codes.count(code) for code in sorted(set(codes), key=str)}
    print(
        f"  slow readers ({protocol}): {count} subscribers never reading {EVENTS} events "
        f"(~{EVENTS * 300 / MIB:.1f} MiB each if nothing bounded them): closed {closed} "
        f"(None: dropped without a close frame; -1: still open) within {elapsed:.0f} s; "
        f"the reading subscriber got {received}/{EVENTS}"
    )
    print(
        f"  slow readers ({protocol}): RSS before {mib(before)}, peak {mib(peak)} "
        f"(+{(peak - before) / MIB:.1f} MiB, {(peak - before) / MIB / max(1, count):.2f} MiB per slow reader), "
        f"after {mib(after)}"
    )


def main() -> None:
    env = dict(os.environ)
    env["DATABASE_URL"] = scratch_database_url("flood")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env["LOG_LEVEL"] = "WARNING"
    os.environ.update(env)
    setup_database(env)

    import django

    django.setup()
    from django.db import connection

    from tests import factories as f
    from tests.support.live import publish_jobs

    connection.close()
    job: Any = f.JobFactory()

    def publish(events: int) -> None:
        for start in range(0, events, 500):
            publish_jobs([job] * min(500, events - start))

    publish.repository = job.repository.name  # type: ignore[attr-defined]

    port = free_port()
    logs = Path(tempfile.mkdtemp(prefix="bench-flood-"))
    procs = [
        subprocess.Popen(
            [PY, "manage.py", "live_relay"],
            env=env,
            cwd=ROOT,
            stdout=(logs / "flood-relay.log").open("wb"),
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [str(Path(PY).parent / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=(logs / "flood-daphne.log").open("wb"),
            stderr=subprocess.STDOUT,
        ),
    ]
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base)
        daphne = psutil.Process(procs[1].pid)
        url = f"ws://127.0.0.1:{port}/graphql"
        print(
            f"bench/flood: Daphne pid {daphne.pid}, RSS at start {mib(daphne.memory_info().rss)}; "
            f"load {os.getloadavg()}; logs in {logs}"
        )
        asyncio.run(connection_flood(url, daphne))
        asyncio.run(slow_readers(url, daphne, publish, "graphql-transport-ws", SLOW))
        if SLOW_LEGACY:
            asyncio.run(slow_readers(url, daphne, publish, "graphql-ws", SLOW_LEGACY))
        print(f"bench/flood: done; load {os.getloadavg()}")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
