"""bench/limits: the worst request time for documents built to be expensive, over HTTP and WebSocket.

Starts Daphne (embedded mode, a scratch SQLite database) on a free port and sends each document
below: fragment fan-out (each fragment spreads the next one twice: 2^n selections), the same deep
under a job page, a subscription with fan-out over graphql-transport-ws, a chain of hundreds of
fragments, one field repeated thousands of times, a thousand operations, hundreds of directives
and variables, the deepest nesting the parser allows, a list argument of 100,000 items. For each it
prints the time to the answer (or refusal), the CPU time the Daphne process spent meanwhile (what
the document cost the server, whatever else the machine was doing), and the worst /healthz latency
measured every 20 ms while the same document is sent again: the event loop is shared, so a slow
refusal delays every other client by as much.

    bin/bench limits                                   # this tree
    BENCH_LIMITS_ROOT=/tmp/old BENCH_LIMITS_FANOUT=16,18,20 bin/bench limits   # another tree

BENCH_LIMITS_TIMEOUT (seconds, default 30) bounds each request; after a timeout Daphne is
restarted (the unfixed code keeps computing). bench/README.md has the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SERVER_ROOT = Path(os.environ.get("BENCH_LIMITS_ROOT", str(ROOT)))
FANOUT = [int(n) for n in os.environ.get("BENCH_LIMITS_FANOUT", "16,18,20,30").split(",")]
TIMEOUT = float(os.environ.get("BENCH_LIMITS_TIMEOUT", "30"))
RUNS = int(os.environ.get("BENCH_LIMITS_RUNS", "5"))
PY = sys.executable


def fanout(n: int, on: str, leaf: str, root: str) -> str:
    frags = [f"fragment F{i} on {on} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    frags.append(f"fragment F{n} on {on} {{ {leaf} }}")
    return f"{root} " + " ".join(frags)


def documents() -> Iterator[tuple[str, str, dict[str, Any], str | None, str]]:
    """(name, query, variables, operationName, transport)."""
    for n in FANOUT:
        yield f"fan-out n={n} on Query", fanout(n, "Query", "__typename", "query { ...F0 }"), {}, None, "http"
    for n in FANOUT:
        deep = fanout(n, "Job", "id push { id revision jobs(first: 2) { nodes { id } } }", "")
        query = '{ jobs(repository: "try", first: 1) { nodes { ...F0 } } }' + deep
        yield f"fan-out n={n} under a job page (wide and deep)", query, {}, None, "http"
    for n in FANOUT:
        sub = fanout(n, "Subscription", 'jobChanged(repository: "try") { cursor }', "subscription { ...F0 }")
        yield f"fan-out n={n} subscription over WebSocket", sub, {}, None, "ws"
    chain = " ".join(f"fragment C{i} on Query {{ ...C{i + 1} }}" for i in range(600))
    chain = "query { ...C0 } " + chain + " fragment C600 on Query { __typename }"
    yield "chain of 600 fragments", chain, {}, None, "http"
    yield "one field repeated 2,400 times", "{ " + "__typename " * 2400 + "}", {}, None, "http"
    yield "one field repeated 1,990 times", "{ " + "__typename " * 1990 + "}", {}, None, "http"
    yield "one field repeated 990 times", "{ " + "__typename " * 990 + "}", {}, None, "http"
    many = "{ " + "failureClassifications { name } " * 1200 + "}"
    yield "a list field repeated 1,200 times", many, {}, None, "http"
    many = "{ " + "failureClassifications { name } " * 990 + "}"
    yield "a list field repeated 990 times", many, {}, None, "http"
    many = "{ " + "failureClassifications { name } " * 450 + "}"
    yield "a list field repeated 450 times", many, {}, None, "http"
    unused = " ".join(f"fragment X{i} on Query {{ __typename }}" for i in range(680)) + " { __typename }"
    yield "680 unused fragments", unused, {}, None, "http"
    ops = " ".join(f"query Q{i} {{ __typename }}" for i in range(990))
    yield "990 operations", ops, {}, "Q500", "http"
    yield "990 operations, no operationName", ops, {}, None, "http"
    ops = " ".join(f"query Q{i} {{ __typename }}" for i in range(390))
    yield "390 operations", ops, {}, "Q200", "http"
    directives = "{ " + "__typename @include(if: true) " * 600 + "}"
    yield "600 directives", directives, {}, None, "http"
    directives = "{ " + "__typename @include(if: true) " * 300 + "}"
    yield "300 directives", directives, {}, None, "http"
    names = [f"v{i}" for i in range(340)]
    variables = "query (" + " ".join(f"${v}: Boolean!" for v in names) + ") { "
    variables += " ".join(f"__typename @skip(if: ${v})" for v in names) + " }"
    yield "340 variables", variables, dict.fromkeys(names, False), None, "http"
    nested = "{ " + "job(id: 1) { push { jobs { nodes { " * 49 + "id" + " } } } }" * 49 + " }"
    yield "nesting 196 deep", nested, {}, None, "http"
    big_list = "query ($ids: [Int!]!) { jobs(pushIds: $ids) { nodes { id } } }"
    yield "pushIds of 100,000 items", big_list, {"ids": list(range(100_000))}, None, "http"
    yield "pushIds of 101 items", big_list, {"ids": list(range(101))}, None, "http"


@contextmanager
def daphne(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    from bench.support.servers import free_port, wait_http

    port = free_port()
    log = open(Path(env["VAR_DIR"]) / f"daphne-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=SERVER_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url, proc)
        yield url, proc.pid
    finally:
        proc.kill()
        proc.wait()
        log.close()


class HealthProbe:
    """Polls /healthz every 20 ms in a thread; `worst` is the slowest answer (or the wait so far)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            started = time.perf_counter()
            with suppress(requests.RequestException):
                session.get(f"{self.url}/healthz", timeout=TIMEOUT)
            self.worst = max(self.worst, time.perf_counter() - started)
            time.sleep(0.02)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=TIMEOUT + 5)


def http_request(url: str, query: str, variables: dict[str, Any], operation: str | None) -> str:
    body = {"query": query, "variables": variables, "operationName": operation}
    response = requests.post(f"{url}/graphql", json=body, headers={"Accept": "application/json"}, timeout=TIMEOUT)
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return f"HTTP {response.status_code} (not JSON)"
    if not errors:
        return f"HTTP {response.status_code} answered"
    code = (errors[0].get("extensions") or {}).get("code", "no code")
    return f"HTTP {response.status_code} {code}"


def ws_request(url: str, query: str, variables: dict[str, Any], operation: str | None) -> str:
    from tests.support.ws import GraphQLWS

    async def run() -> str:
        client = await GraphQLWS.connect(url, open_timeout=TIMEOUT)
        try:
            await client.subscribe("1", query, variables)
            message = await client.receive(timeout=TIMEOUT)
        finally:
            await client.close()
        if message["type"] == "error":
            return f"WS error {(message['payload'][0].get('extensions') or {}).get('code', 'no code')}"
        return f"WS {message['type']}"

    return asyncio.run(run())


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _send(url: str, send: Callable[..., str], args: tuple[Any, ...]) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        outcome = send(url, *args)
    except (requests.Timeout, TimeoutError):
        outcome = f"no answer within {TIMEOUT:.0f} s"
    except Exception as exc:  # noqa: BLE001 - a dropped connection is a result to print
        outcome = f"failed: {type(exc).__name__}"
    return time.perf_counter() - started, outcome


def measure(url: str, pid: int, send: Callable[..., str], *args: Any) -> tuple[float, float, float, float, str]:
    """(median and worst wall time to the answer over RUNS sends, server CPU time per send, worst
    /healthz latency during one more send, outcome). The server's CPU time is what the document
    cost it, whatever else the machine was doing. A document slower than a second is sent once."""
    cpu_before = _cpu(pid)
    times: list[float] = []
    outcome = ""
    for _ in range(RUNS):
        elapsed, outcome = _send(url, send, args)
        times.append(elapsed)
        if elapsed > 1.0:
            break
    cpu = (_cpu(pid) - cpu_before) / len(times)
    if max(times) >= TIMEOUT:
        return max(times), max(times), cpu, max(times), outcome
    with HealthProbe(url) as probe:  # once more, with /healthz polled meanwhile
        time.sleep(0.05)
        _send(url, send, args)
    return statistics.median(times), max(times), cpu, probe.worst, outcome


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="bench-limits-"))
    env = dict(os.environ)
    env.update(
        EMBEDDED="true",
        DEBUG="false",
        DATABASE_URL=f"sqlite:///{var / 'bench.sqlite3'}",
        VAR_DIR=str(var),
        PYTHONPATH=str(SERVER_ROOT),
    )
    env.pop("REDIS_URL", None)
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=SERVER_ROOT, env=env, check=True)
    print(f"server code: {SERVER_ROOT}; request timeout {TIMEOUT:.0f} s; load average {os.getloadavg()[0]:.2f}")
    print(f"answer: median and worst of {RUNS} sends; server CPU: per send (10 ms clock ticks)")
    header = f"{'document':52} {'chars':>7} {'answer ms':>10} {'worst ms':>9} {'server CPU ms':>14}"
    print(f"{header} {'worst /healthz ms':>18}  outcome")
    rows: list[tuple[str, float, float]] = []
    server = daphne(env)
    url, pid = server.__enter__()
    try:
        for name, query, variables, operation, transport in documents():
            send = ws_request if transport == "ws" else http_request
            median, worst_time, cpu, health, outcome = measure(url, pid, send, query, variables, operation)
            size = len(json.dumps({"query": query, "variables": variables}))
            print(
                f"{name:52} {size:>7} {median * 1000:>10.0f} {worst_time * 1000:>9.0f} {cpu * 1000:>14.0f} "
                f"{health * 1000:>18.0f}  {outcome}",
                flush=True,
            )
            rows.append((name, worst_time, cpu))
            elapsed = worst_time
            if elapsed >= TIMEOUT or "failed" in outcome:
                server.__exit__(None, None, None)  # the old code keeps computing: start afresh
                server = daphne(env)
                url, pid = server.__enter__()
    finally:
        server.__exit__(None, None, None)
    worst = max(rows, key=lambda row: row[1])
    worst_cpu = max(rows, key=lambda row: row[2])
    print(
        f"worst answer: {worst[1] * 1000:.0f} ms ({worst[0]}); "
        f"worst server CPU: {worst_cpu[2] * 1000:.0f} ms ({worst_cpu[0]})"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
