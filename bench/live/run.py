"""bench/live: commit-to-client latency of live subscriptions, fan-out time, memory per subscription.

Starts a relay and one or two Daphne processes on a scratch database (<DATABASE_URL name>_bench),
connects 1,000 and 5,000 WebSocket subscribers (from two client processes), commits single job
events one at a time, and measures, for every subscriber and event, the time from the writer's
commit to the client reading the message. Prints one line per scenario.

Latency includes the client processes' own work (two asyncio processes reading thousands of
sockets on the same 2-core machine as Daphne, the relay and MariaDB), so it is an upper bound.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PY = sys.executable

from bench.support.database import scratch_database_url, setup_database  # noqa: E402
from bench.support.servers import free_port, wait_http  # noqa: E402

EVENTS = 40
EVENT_GAP_SECONDS = 0.25
QUERY = """
subscription ($repo: String!) {
  jobChanged(repository: $repo) { cursor changed job { guid state result tier } }
}
"""


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run_scenario(
    env: dict[str, str], tmp: Path, *, subscribers: int, daphnes: int, distinct: bool = False
) -> dict[str, float]:
    import django

    os.environ.update(env)
    django.setup()
    from django.db import connection, transaction

    from apps.live.events import JobChanged
    from apps.live.publish import publish
    from tests import factories as f

    connection.close()
    job = f.JobFactory()
    repo = job.repository.name

    procs: list[subprocess.Popen[bytes]] = [start([PY, "manage.py", "live_relay"], env, tmp / "relay.log")]
    urls = []
    for i in range(daphnes):
        port = free_port()
        procs.append(
            start(
                [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
                env,
                tmp / f"daphne{i}.log",
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        wait_http(url)
    daphne_procs = [psutil.Process(p.pid) for p in procs[1:]]
    # Warm up each Daphne (hub, schema, leader) with one subscriber, then read its memory.
    clients = []
    try:
        warm = _client(urls, 1 * daphnes, repo, tmp / "warm.json", distinct=False)
        rss_before = sum(p.memory_info().rss for p in daphne_procs)
        per_client = subscribers // 2
        for n in range(2):
            clients.append(_client(urls, per_client, repo, tmp / f"client{n}.json", distinct=distinct))
        time.sleep(1.0)
        rss_after = sum(p.memory_info().rss for p in daphne_procs)
        profile = os.environ.get("LIVE_BENCH_PROFILE")  # a path: record Daphne with py-spy
        if profile:
            procs.append(
                start(
                    [str(Path(PY).parent / "py-spy"), "record", "-r", "200", "-f", "raw", "-o", profile,
                     "-p", str(daphne_procs[0].pid), "-d", str(int(EVENTS * EVENT_GAP_SECONDS) + 1)],
                    env,
                    tmp / "py-spy.log",
                )
            )  # fmt: skip
            time.sleep(1.0)

        commit_times: dict[str, float] = {}
        for n in range(EVENTS):
            marker = f"m{n}"
            with transaction.atomic():
                publish([JobChanged.from_job(job, changed=("state", marker))])
            commit_times[marker] = time.time()
            time.sleep(EVENT_GAP_SECONDS)
        time.sleep(2.0)
    finally:
        samples = []
        for proc, path in [*clients, warm]:
            proc.stdin.write(b"STOP\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
            proc.wait(timeout=60)
            if path.exists() and path.name != "warm.json":
                samples += json.loads(path.read_bytes())
        for p in procs:
            p.terminate()
            p.wait(timeout=20)

    latencies = [(recv - commit_times[m]) * 1000 for m, recv in samples if m in commit_times]
    by_event: dict[str, list[float]] = {}
    for m, recv in samples:
        by_event.setdefault(m, []).append(recv)
    spread = [(max(v) - min(v)) * 1000 for v in by_event.values()]
    to_last = [(max(v) - commit_times[m]) * 1000 for m, v in by_event.items() if m in commit_times]
    expected = subscribers // 2 * 2 * EVENTS
    return {
        "subscribers": subscribers // 2 * 2,
        "daphnes": daphnes,
        "delivered": len(latencies),
        "expected": expected,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "fanout_spread_p50_ms": statistics.median(spread),
        "commit_to_last_p50_ms": statistics.median(to_last),
        "idle_kib_per_subscription": (rss_after - rss_before) / 1024 / max(1, subscribers // 2 * 2),
    }


def _client(
    urls: list[str], n: int, repo: str, output: Path, *, distinct: bool
) -> tuple[subprocess.Popen[bytes], Path]:
    config = {
        "urls": [u.replace("http://", "ws://") + "/graphql" for u in urls],
        "connections": n,
        "query": QUERY,
        "variables": {"repo": repo},
        "output": str(output),
        "distinct": distinct,
    }
    proc = subprocess.Popen(
        [PY, str(Path(__file__).with_name("client.py")), json.dumps(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    line = proc.stdout.readline()  # type: ignore[union-attr]
    if line.strip() != b"READY":
        raise RuntimeError(f"client did not get ready: {line!r}")
    return proc, output


def main() -> None:
    env = dict(os.environ)
    env["DATABASE_URL"] = scratch_database_url("bench")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env["LOG_LEVEL"] = "WARNING"
    scenarios = [
        {"subscribers": 1000, "daphnes": 1},
        {"subscribers": 5000, "daphnes": 1},
        {"subscribers": 1000, "daphnes": 2},
        {"subscribers": 5000, "daphnes": 2},
        {"subscribers": 1000, "daphnes": 1, "distinct": True},
    ]
    if len(sys.argv) > 1:
        scenarios = [json.loads(arg) for arg in sys.argv[1:]]
    print("bench/live: commit -> client latency (all subscribers, every event), fan-out, idle memory")
    for scenario in scenarios:
        setup_database(env)
        with tempfile.TemporaryDirectory() as tmp:
            # Each scenario in a fresh interpreter: django.setup() once per process.
            out = subprocess.run(
                [PY, __file__, "--one", json.dumps(scenario), tmp],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        if out.returncode != 0:
            print(f"  {scenario}: FAILED\n{out.stderr[-3000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        shared = "distinct queries" if scenario.get("distinct") else "same query"
        print(
            f"  {r['subscribers']:>5} subscribers, {r['daphnes']} Daphne, {shared}: "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms; fan-out to all {r['commit_to_last_p50_ms']:.1f} ms "
            f"after commit (first->last {r['fanout_spread_p50_ms']:.1f} ms); "
            f"{r['idle_kib_per_subscription']:.1f} KiB/idle subscription; delivered {r['delivered']}/{r['expected']}",
            flush=True,
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        result = run_scenario(dict(os.environ), Path(sys.argv[3]), **json.loads(sys.argv[2]))
        print(json.dumps(result))
    else:
        main()
