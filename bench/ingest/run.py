"""Ingestion benchmark: a synthetic stream of PUSHES x TASKS x 3 state messages published to RabbitMQ,
consumed by the real listener and Celery worker processes into MariaDB.

Prints messages/s (task messages committed per second, first publish to last commit) and the p50/p99
publish-to-commit latency. Latency is measured per message: its publish time (here) against the
`created` time of the outbox event its job change wrote in the same transaction.

    bin/bench ingest                     # 50 pushes x 1,000 tasks x 3, published at 1,000 messages/s
    BENCH_RATE=0 bin/bench ingest        # as fast as the publisher can (a flood: throughput, not latency)
    BENCH_PUSHES=5 BENCH_TASKS=200 ...   # smaller
    BENCH_PROFILE=1 ...                  # py-spy the worker processes; prints where their time goes

It uses its own database (<DATABASE_URL name>_bench, recreated each run) and its own Pulse queues.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.support.database import scratch_database_url, setup_database  # noqa: E402
from bench.support.servers import free_port  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

PUSHES = int(os.environ.get("BENCH_PUSHES", "50"))
TASKS = int(os.environ.get("BENCH_TASKS", "1000"))
RATE = float(os.environ.get("BENCH_RATE", "1000"))  # task messages per second; 0 = flood
WORKERS = os.environ.get("BENCH_WORKER_CONCURRENCY", "4")  # as the Procfile
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
SEED = int(time.time())


PORT = free_port()
SAMPLE_URL = f"http://127.0.0.1:{PORT}"
ENV = {
    **os.environ,
    "DATABASE_URL": scratch_database_url("bench"),
    "TASKCLUSTER_ROOT_URL": SAMPLE_URL,
    "HG_URL": SAMPLE_URL,
    "GITHUB_API_URL": SAMPLE_URL,
    "PULSE_QUEUE_USER": f"bench-{uuid.uuid4().hex[:6]}",
    "INGEST_RETRY_BASE_SECONDS": "1",
    "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    "PYTHONUNBUFFERED": "1",
}
os.environ.update(
    {k: ENV[k] for k in ("DATABASE_URL", "TASKCLUSTER_ROOT_URL", "HG_URL", "GITHUB_API_URL", "PULSE_QUEUE_USER")}
)

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
import slugid  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from kombu import Connection, Exchange, Producer  # noqa: E402

from apps.jobs.services.taskcluster import TASK_EXCHANGES  # noqa: E402
from apps.live.models import Event  # noqa: E402
from apps.pushes.models import Push  # noqa: E402
from apps.pushes.services.loaders import PUSH_EXCHANGES  # noqa: E402
from devtools import synthetic  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
VAR = ROOT / "bench" / "results"


def start(args: list[str], name: str) -> subprocess.Popen[bytes]:
    VAR.mkdir(parents=True, exist_ok=True)
    log = (VAR / f"{name}.log").open("wb")
    return subprocess.Popen(args, cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in processes:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def purge_celery_queues() -> None:
    with Connection(settings.CELERY_BROKER_URL) as conn:
        for queue in ("store_pulse_tasks", "store_pulse_pushes"):
            with contextlib.suppress(Exception):  # not declared yet: nothing to purge
                conn.channel().queue_purge(queue)


def wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}; logs in {VAR}")
        time.sleep(0.25)


def queue_consumed(name: str) -> bool:
    with Connection(settings.PULSE_URL) as conn:
        try:
            return bool(conn.channel().queue_declare(name, passive=True)[2])
        except Exception:  # noqa: BLE001 - not declared yet
            return False


def warn_about_idle_pulse_queues() -> None:
    """Every Pulse queue bound to the task exchanges gets a copy of every benchmark message. One left
    without a consumer (bin/run's, stopped, or an older test's) makes RabbitMQ persist them all and
    skews the figures, more with every run: say so."""
    owners = {urlsplit(settings.PULSE_URL).username or "", "treeherder"} - {""}
    with Connection(settings.PULSE_URL) as conn:
        for owner in sorted(owners):
            name = f"queue/{owner}/tasks"
            try:
                _, messages, consumers = conn.channel().queue_declare(name, passive=True)
            except Exception:  # noqa: BLE001, S112 - not declared: nothing to warn about
                continue
            if not consumers:
                print(
                    f"WARNING: {name} exists with no consumer and {messages} messages; it receives a copy of every"
                    f" benchmark message (delete it with `rabbitmqctl delete_queue {name}` if nothing needs it)"
                )


def main() -> None:
    print(f"bench/ingest: {PUSHES} pushes x {TASKS} tasks x 3 states, rate {RATE or 'flood'} msg/s, seed {SEED}")
    warn_about_idle_pulse_queues()
    setup_database(ENV)
    purge_celery_queues()
    processes = [
        start([PY, "manage.py", "serve_sample_services", "--port", str(PORT)], "sample-services"),
        start(
            [
                str(ROOT / ".venv" / "bin" / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "store_pulse_tasks,store_pulse_pushes",
                "-c",
                WORKERS,
                "-n",
                f"bench-{SEED}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            ],
            "worker",
        ),
        start([PY, "manage.py", "pulse_listener_tasks"], "listener-tasks"),
        start([PY, "manage.py", "pulse_listener_pushes"], "listener-pushes"),
    ]
    profilers: list[subprocess.Popen[bytes]] = []
    try:
        pulse = Connection(settings.PULSE_URL)
        channel = pulse.channel()
        exchanges = {
            name: Exchange(name, type="topic", durable=True)(channel) for name in (*TASK_EXCHANGES, *PUSH_EXCHANGES)
        }
        for exchange in exchanges.values():
            exchange.declare()
        producer = Producer(channel)
        owner = ENV["PULSE_QUEUE_USER"]
        wait_for(
            lambda: queue_consumed(f"queue/{owner}/tasks") and queue_consumed(f"queue/{owner}/resultsets"),
            60,
            "listeners",
        )

        for push in range(PUSHES):
            producer.publish(
                synthetic.hg_push_message(SEED, push, SAMPLE_URL),
                exchange=exchanges["exchange/hgpushes/v1"],
                routing_key="integration/autoland",
                serializer="json",
                delivery_mode=2,
            )
        wait_for(lambda: Push.objects.count() == PUSHES, 120, "the pushes")
        connection.close()

        cpu_before = cpu_seconds(processes)
        if PROFILE:
            profilers = start_profilers()
        published: dict[tuple[str, str], float] = {}
        # Every task pending, then every task running, then every one resolved: a task's messages
        # are far apart, as in real traffic. Bodies are serialized up front to keep the publisher light.
        stream: list[list[tuple[str, str, str, bytes]]] = [[], [], []]
        for push in range(PUSHES):
            for task in range(TASKS):
                plan = synthetic.TaskPlan(SEED, push, task, retries=False)
                guid = f"{slugid.decode(plan.task_id)}/0"
                for step, messages in enumerate(synthetic.task_messages(plan)):
                    m = messages[0]
                    stream[step].append((guid, m["exchange"], m["routing_key"], orjson.dumps(m["body"])))
        total = PUSHES * TASKS * 3
        sent = 0
        started = time.time()
        for step, state in enumerate(("pending", "running", "completed")):
            for guid, exchange, routing_key, body in stream[step]:
                if RATE:
                    delay = started + sent / RATE - time.time()
                    if delay > 0:
                        time.sleep(delay)
                published[(guid, state)] = time.time()
                producer.publish(
                    body,
                    exchange=exchanges[exchange],
                    routing_key=routing_key,
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                )
                sent += 1
        publish_seconds = time.time() - started
        print(f"published {sent} task messages in {publish_seconds:.1f} s ({sent / publish_seconds:.0f} msg/s)")

        def completed() -> int:
            connection.close()
            return Event.objects.filter(type="job.changed", payload__state="completed").count()

        wait_for(lambda: completed() == PUSHES * TASKS, 3600, "every job completed")
        for profiler in profilers:
            profiler.wait()
        events = list(
            Event.objects.filter(type="job.changed").values_list("payload__guid", "payload__state", "created")
        )
        latencies = []
        last_commit = 0.0
        for guid, state, created in events:
            committed = (
                created.replace(tzinfo=datetime.UTC).timestamp() if created.tzinfo is None else created.timestamp()
            )
            last_commit = max(last_commit, committed)
            if (guid, state) in published:
                latencies.append(committed - published[(guid, state)])
        elapsed = last_commit - started
        latencies.sort()
        print(f"committed {total} task messages in {elapsed:.1f} s: {total / elapsed:.0f} messages/s")
        print(f"job changes: {len(events)} events ({collections.Counter(s for _, s, _ in events)})")
        p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
        print(f"publish-to-commit latency: p50 {p50:.3f} s, p99 {p99:.3f} s, max {latencies[-1]:.3f} s")
        print(f"load average at the end: {os.getloadavg()}")
        cpu_after = cpu_seconds(processes)
        print(
            f"CPU seconds during the stream ({elapsed:.0f} s wall, 2 cores): "
            + ", ".join(f"{name} {cpu_after[name] - cpu_before.get(name, 0):.1f}" for name in cpu_after)
        )
        if PROFILE:
            report_profiles()
    finally:
        stop(profilers)
        stop(processes)
        with Connection(settings.PULSE_URL) as conn:
            for name in ("tasks", "resultsets"):
                with contextlib.suppress(Exception):  # never declared
                    conn.channel().queue_delete(f"queue/{ENV['PULSE_QUEUE_USER']}/{name}")


def cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU time (user + system) of each process tree we started, of the publisher, and of the
    shared MariaDB and RabbitMQ (which other work on the machine also uses)."""
    import psutil

    names = ["sample-services", "worker", "listener-tasks", "listener-pushes"]
    result: dict[str, float] = {}
    for name, proc in zip(names, processes, strict=True):
        try:
            tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
            result[name] = sum(sum(p.cpu_times()[:2]) for p in tree)
        except psutil.NoSuchProcess:
            result[name] = 0.0
    result["publisher (this process)"] = sum(psutil.Process().cpu_times()[:2])
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in ("mariadbd", "beam.smp"):
            result[proc.info["name"]] = result.get(proc.info["name"], 0.0) + sum(proc.cpu_times()[:2])
    return result


def start_profilers() -> list[subprocess.Popen[bytes]]:
    import psutil

    for old in VAR.glob("profile-*.txt"):
        old.unlink()
    profilers = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if (
            f"bench-{SEED}@" in cmdline or "pulse_listener_tasks" in cmdline or "serve_sample_services" in cmdline
        ) and "py-spy" not in cmdline:
            out = VAR / f"profile-{proc.info['pid']}.txt"
            profilers.append(
                subprocess.Popen(
                    [
                        str(ROOT / ".venv" / "bin" / "py-spy"),
                        "record",
                        "--gil",
                        "--format",
                        "raw",
                        "-r",
                        "50",
                        "-d",
                        os.environ.get("BENCH_PROFILE_SECONDS", "30"),
                        "-o",
                        str(out),
                        "-p",
                        str(proc.info["pid"]),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
    return profilers


def report_profiles() -> None:
    """Self time by function, and by top-level area, from py-spy's collapsed stacks."""
    for path in sorted(VAR.glob("profile-*.txt")):
        leaf: collections.Counter[str] = collections.Counter()
        area: collections.Counter[str] = collections.Counter()
        samples = 0
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            samples += int(count)
            leaf[frames[-1].split(" (")[0] + " (" + frames[-1].split("/")[-1]] += int(count)
            for key in (
                "jobs_store",
                "refdata_ids_for_jobs",
                "task_definitions_get",
                "task_artifacts_get",
                "pulse_job_build",
                "task_message_validate",
                "publish",
                "flush",
                "drain_events",
                "_reject",
                "http_get_json",
                "answer",
                "loads",
                "dumps",
            ):
                if any(f"{key} (" in frame for frame in frames):
                    area[key] += int(count)
        print(f"\n{path.name}: {samples} samples; top self time:")
        for name, count in leaf.most_common(12):
            print(f"  {100 * count / samples:5.1f}%  {name}")
        print("  inclusive by area: " + ", ".join(f"{k} {100 * v / samples:.0f}%" for k, v in area.most_common()))


if __name__ == "__main__":
    main()
