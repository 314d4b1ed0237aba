"""A bench client process: opens N GraphQL WebSockets, subscribes each, and records when every event
arrives. Prints READY when all are subscribed; writes its samples as JSON when told to stop."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import orjson
import websockets

CONNECT_CONCURRENCY = 100


SUBSCRIBED = 0


async def subscriber(url: str, query: str, variables: dict, samples: list, gate: asyncio.Semaphore) -> None:
    global SUBSCRIBED
    async with gate:
        ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None, ping_interval=None)  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
        SUBSCRIBED += 1
    try:
        async for raw in ws:
            now = time.time()
            message = orjson.loads(raw)
            if message["type"] == "ping":
                await ws.send('{"type":"pong"}')
            elif message["type"] == "next":
                changed = message["payload"]["data"]["jobChanged"]["changed"]
                samples.append((changed[-1], now))
    except websockets.ConnectionClosed:
        pass


async def main() -> None:
    config = json.loads(sys.argv[1])
    samples: list = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    tasks = []
    for i in range(config["connections"]):
        url = config["urls"][i % len(config["urls"])]
        query = config["query"]
        if config.get("distinct"):
            query = query.replace("cursor", f"c{i}: cursor", 1)  # a different document per subscriber
        tasks.append(asyncio.create_task(subscriber(url, query, config["variables"], samples, gate)))
    while config["connections"] > SUBSCRIBED:
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise RuntimeError(f"a subscriber failed: {failed[0].exception()!r}")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # wait for STOP
    with open(config["output"], "wb") as fh:
        fh.write(orjson.dumps(samples))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
