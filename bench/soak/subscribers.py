"""A soak client process: N graphql-transport-ws subscribers in one asyncio loop.

Each subscriber subscribes with `after:` the run's start cursor (the recommended query-then-after
pattern, so it replays, then moves into the shared execution), answers the protocol's pings, and
records every cursor it receives with the time it read it. A socket that closes (4002 slow
consumer, 4001 missed pong, a restart) reconnects and resumes after the last cursor it got, as a
real client does; every reconnect is counted and reported, because in a soak there should be none.

Its argument is a JSON file (URL, query, variables of each subscriber). Driven over stdin/stdout
by bench/soak/run.py: prints READY once every subscriber has its
connection_ack, STATS (a JSON line) when sent "STATS", and on "STOP" writes its receipts to the
output file (one JSON header line, then per subscriber the raw array('q') cursors and
array('d') receive times) and exits. Arrays, not lists of tuples: a 30-minute run receives
millions of messages and a tuple costs about five times the memory.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from array import array
from typing import Any

import orjson
import websockets

CONNECT_CONCURRENCY = 50


class Subscriber:
    def __init__(self, index: int, url: str, query: str, variables: dict[str, Any], field: str) -> None:
        self.index = index
        self.url = url
        self.query = query
        self.variables = variables
        self.field = field
        self.cursors = array("q")
        self.received = array("d")
        self.reconnects = 0
        self.closes: dict[str, int] = {}
        self.errors: list[str] = []
        self.acked = asyncio.Event()

    def after(self) -> str:
        return str(self.cursors[-1]) if self.cursors else self.variables["after"]

    async def run(self, gate: asyncio.Semaphore) -> None:
        while True:
            try:
                await self._session(gate)
            except asyncio.CancelledError:
                raise
            except websockets.ConnectionClosed as exc:
                code = str(exc.rcvd.code if exc.rcvd else "none")
                self.closes[code] = self.closes.get(code, 0) + 1
            except Exception as exc:  # noqa: BLE001 - any failure is reported, then the client resumes
                self.errors.append(repr(exc)[:300])
            self.reconnects += 1
            await asyncio.sleep(1.0)

    async def _session(self, gate: asyncio.Semaphore) -> None:
        async with gate:
            ws = await websockets.connect(
                self.url,
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                max_queue=None,  # read everything the server sends; backpressure is the server's job
                ping_interval=None,  # the server pings (protocol and WebSocket level)
                open_timeout=60,
            )
            await ws.send('{"type":"connection_init","payload":{}}')
            ack = orjson.loads(await asyncio.wait_for(ws.recv(), 60))
            if ack["type"] != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            variables = {**self.variables, "after": self.after()}
            await ws.send(
                orjson.dumps({"id": "1", "type": "subscribe", "payload": {"query": self.query, "variables": variables}})
            )
        self.acked.set()
        async with ws:
            async for raw in ws:
                now = time.time()
                message = orjson.loads(raw)
                kind = message["type"]
                if kind == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.append(json.dumps(payload["errors"])[:300])
                        continue
                    self.cursors.append(int(payload["data"][self.field]["cursor"]))
                    self.received.append(now)
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')
                elif kind in ("error", "complete"):
                    self.errors.append(f"{kind}: {json.dumps(message)[:300]}")
                    raise RuntimeError(kind)


async def main() -> None:
    with open(sys.argv[1], "rb") as fh:
        config = orjson.loads(fh.read())
    subscribers = [
        Subscriber(spec["index"], spec["url"], spec["query"], spec["variables"], spec["field"])
        for spec in config["subscribers"]
    ]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    tasks = [asyncio.create_task(s.run(gate)) for s in subscribers]
    await asyncio.wait_for(asyncio.gather(*(s.acked.wait() for s in subscribers)), 600)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "STATS":
            stats = {
                "received": sum(len(s.cursors) for s in subscribers),
                "reconnects": sum(s.reconnects for s in subscribers),
                "last_cursor": max((s.cursors[-1] for s in subscribers if s.cursors), default=0),
                # The lowest per-subscriber last cursor: how far the slowest one has got.
                "min_last_cursor": min((s.cursors[-1] if s.cursors else 0 for s in subscribers), default=0),
            }
            print("STATS " + json.dumps(stats), flush=True)
        elif line in ("STOP", ""):
            break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    with open(config["output"], "wb") as fh:
        header = [
            {
                "index": s.index,
                "count": len(s.cursors),
                "reconnects": s.reconnects,
                "closes": s.closes,
                "errors": s.errors[:20],
                "error_count": len(s.errors),
            }
            for s in subscribers
        ]
        fh.write(orjson.dumps(header) + b"\n")
        for s in subscribers:
            s.cursors.tofile(fh)
            s.received.tofile(fh)
    print("DONE", flush=True)


def read_output(path: str) -> list[tuple[dict[str, Any], array[int], array[float]]]:
    """The receipts a client wrote: (header, cursors, receive times) per subscriber."""
    with open(path, "rb") as fh:
        header = orjson.loads(fh.readline())
        result = []
        for entry in header:
            cursors, received = array("q"), array("d")
            cursors.fromfile(fh, entry["count"])
            received.fromfile(fh, entry["count"])
            result.append((entry, cursors, received))
    return result


if __name__ == "__main__":
    asyncio.run(main())
