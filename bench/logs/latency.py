"""Completed-to-ERRORS_READY latency (bench/logs part 3; see run.py's docstring)."""

from __future__ import annotations

import gzip
import json
import os
import statistics
import subprocess
import threading
import time
from pathlib import Path

from bench.live.run import start
from bench.support.servers import free_port, wait_http

JOBS = int(os.environ.get("BENCH_LOGS_JOBS", "40"))
GAP_SECONDS = 0.5
QUERY = """
subscription ($repo: String!) {
  jobFailures(repositories: [$repo]) { kind job { databaseId textLogErrors { line bugSuggestions { searchTerms } } } }
}
"""


def one_megabyte_log() -> bytes:
    base = (Path(__file__).resolve().parents[2] / "sample_data" / "logs" / "mochitest-fail.log.gz").read_bytes()
    text = gzip.decompress(base)
    tail = text[-(1 << 20) :]  # its last megabyte, which holds its TEST-UNEXPECTED-FAIL line
    return gzip.compress(tail[tail.index(b"\n") + 1 :])


def _listen(url: str, repo: str, arrivals: dict[int, float], ready: threading.Event, stop: threading.Event) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(url, subprotocols=["graphql-transport-ws"], max_size=None) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init"}))
        ws.recv()
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": {"repo": repo}}}))
        ready.set()
        while not stop.is_set():
            try:
                raw = ws.recv(timeout=0.5)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            now = time.time()
            message = json.loads(raw)
            if message["type"] == "ping":
                ws.send('{"type":"pong"}')
            elif message["type"] == "next":
                event = message["payload"]["data"]["jobFailures"]
                if event["kind"] == "ERRORS_READY" and event["job"]["textLogErrors"]:
                    arrivals.setdefault(int(event["job"]["databaseId"]), now)


def bench_latency(env: dict[str, str], tmp: Path) -> None:
    from django.db import transaction

    from apps.failures.services.scheduling import parse_queue
    from apps.jobs.models import Job, JobLog
    from apps.live.events import JobChanged
    from apps.live.publish import publish
    from devtools.sample_services import serve
    from tests import factories as f
    from workers.logs import parse_logs

    logs = serve("127.0.0.1", 0)
    body = one_megabyte_log()
    worker_env = {**env, "OUTBOUND_ALLOWED_HOSTS": f"127.0.0.1:{logs.server_address[1]}"}
    port = free_port()
    queues = "log_parser_fail_raw_sheriffed,log_parser_fail_raw_unsheriffed,log_parser"
    bin_dir = Path(os.sys.executable).parent  # type: ignore[attr-defined]
    procs = [
        start([os.sys.executable, "manage.py", "live_relay"], env, tmp / "relay.log"),  # type: ignore[attr-defined]
        start(
            [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            env,
            tmp / "daphne.log",
        ),
        start(
            [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                queues,
                "-c",
                "1",
                "-n",
                "benchlogs@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            worker_env,
            tmp / "worker.log",
        ),
    ]
    arrivals: dict[int, float] = {}
    commits: dict[int, float] = {}
    stop, ready = threading.Event(), threading.Event()
    try:
        wait_http(f"http://127.0.0.1:{port}")
        push = f.PushFactory()
        repo = push.repository.name
        listener = threading.Thread(
            target=_listen, args=(f"ws://127.0.0.1:{port}/graphql", repo, arrivals, ready, stop), daemon=True
        )
        listener.start()
        ready.wait(30)
        time.sleep(3.0)  # the worker connects to the broker
        for _ in range(JOBS):
            job = f.JobFactory(push=push, repository=push.repository, state="running", result="unknown")
            path = f"/bench/{job.id}/live_backing.log"
            logs.files[path] = (200, {"Content-Encoding": "gzip"}, body)
            with transaction.atomic():
                Job.objects.filter(id=job.id).update(state="completed", result="testfailed")
                job.refresh_from_db()
                log = JobLog.objects.create(job=job, name="live_backing_log", url=f"{logs.url}{path}")
                publish([JobChanged.from_job(job, changed=("state", "result"))])
            commits[job.id] = time.time()
            queue = parse_queue(log_name=log.name, result=job.result, repository=repo)
            parse_logs.apply_async(args=(job.id, [log.id], queue), queue=queue)
            time.sleep(GAP_SECONDS)
        deadline = time.time() + 60
        while len(arrivals) < JOBS and time.time() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        logs.shutdown()
    latencies = sorted(arrivals[j] - commits[j] for j in commits if j in arrivals)
    if not latencies:
        print(f"latency: no ERRORS_READY arrived (see {tmp}/*.log)")
        return
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    print(
        f"latency: completed -> ERRORS_READY at a jobFailures subscriber, {len(latencies)}/{JOBS} failed jobs "
        f"with a 1 MB log ({len(body) // 1024} KB gzip): p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms"
    )
