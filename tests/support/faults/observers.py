"""What watches a scenario from outside: a subscriber that resumes from its cursor, and the health probes."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
import websockets

from tests.support.ws import GraphQLWS

JOB_CHANGED = """
subscription ($after: String) {
  jobChanged(repository: "autoland", after: $after) { cursor changed job { guid state } }
}
"""


@dataclass
class Receipt:
    at: float
    cursor: str | None
    guid: str | None
    errors: Any = None


class Subscriber(threading.Thread):
    """A client of jobChanged(autoland) that, whenever its socket or its subscription ends, connects
    again and resumes from the last cursor it received, as docs/live.md tells clients to."""

    def __init__(self, base_url: str, after: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.cursor = after
        self.receipts: list[Receipt] = []
        self.subscribed: list[float] = []  # each (re)subscription's time
        self.closes: list[tuple[float, Any]] = []  # why each connection ended
        self._halt = threading.Event()

    def run(self) -> None:
        asyncio.run(self._main())

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=15)

    async def _main(self) -> None:
        while not self._halt.is_set():
            try:
                await self._session()
            except websockets.ConnectionClosed as exc:
                self.closes.append((time.monotonic(), exc.rcvd.code if exc.rcvd else "no close frame"))
            except (OSError, TimeoutError, AssertionError, websockets.InvalidHandshake) as exc:
                self.closes.append((time.monotonic(), type(exc).__name__))
            if not self._halt.is_set():
                await asyncio.sleep(0.2)

    async def _session(self) -> None:
        client = await GraphQLWS.connect(self.base_url, open_timeout=5)
        try:
            await client.subscribe("s", JOB_CHANGED, {"after": self.cursor})
            self.subscribed.append(time.monotonic())
            while not self._halt.is_set():
                try:
                    message = await client.receive(timeout=0.5)
                except TimeoutError:
                    continue
                if message["type"] != "next":  # error or complete: subscribe again from the cursor
                    self.closes.append((time.monotonic(), json.dumps(message)[:300]))
                    return
                self._record(message["payload"])
        finally:
            await client.ws.close()

    def _record(self, payload: dict[str, Any]) -> None:
        event = (payload.get("data") or {}).get("jobChanged") or {}
        job = event.get("job") or {}
        receipt = Receipt(time.monotonic(), event.get("cursor"), job.get("guid"), payload.get("errors"))
        self.receipts.append(receipt)
        if receipt.cursor is not None:
            self.cursor = receipt.cursor


@dataclass
class Sample:
    at: float
    status: int | None  # None: no answer (refused, timed out)
    body: dict[str, Any] | None


class HealthMonitor:
    """Polls health endpoints (each in a thread of its own: a check that waits out its timeout
    during an outage must not delay the others)."""

    def __init__(self, base_url: str, paths: tuple[str, ...] = ("/healthz/ready",), every: float = 0.25) -> None:
        self.base_url = base_url
        self.every = every
        self.samples: dict[str, list[Sample]] = {path: [] for path in paths}
        self._halt = threading.Event()
        self._threads = [threading.Thread(target=self._poll, args=(p,), daemon=True) for p in paths]

    def __enter__(self) -> HealthMonitor:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._halt.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _poll(self, path: str) -> None:
        while not self._halt.is_set():
            at = time.monotonic()
            try:
                response = requests.get(self.base_url + path, timeout=5)
                body = (
                    response.json() if response.headers.get("content-type", "").startswith("application/json") else None
                )
                self.samples[path].append(Sample(at, response.status_code, body))
            except (requests.RequestException, ValueError):
                self.samples[path].append(Sample(at, None, None))
            self._halt.wait(self.every)
