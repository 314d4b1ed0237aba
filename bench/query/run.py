"""Benchmark: the job view's query for 10 pushes x 2,000 jobs over HTTP against Daphne.

Fills a database of its own (`<DATABASE_URL name>_bench`) with 50 pushes x 2,000 jobs on autoland
(once; reused while it is complete), starts Daphne on a free port against it, and prints:
SQL queries per request (counted in-process on the same view), response bytes raw and gzip, and
p50/p95 latency over HTTP for

* the job view as one GraphQL request: 10 pushes with their commits and status, and every job as
  a `jobTable` with the columns Treeherder's `/api/jobs/` serves the grid (its job_property_names),
  reference data once;
* for comparison, the same jobs as objects (`Push.jobs` with 4 fields and a job type each).

Run it with `bin/bench query`. Timings depend on the machine's load: it prints the load average.
"""

from __future__ import annotations

import gzip
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PUSHES = 50
JOBS_PER_PUSH = 2000
VIEW_PUSHES = 10
RUNS = 30
REPOSITORY = "autoland"


def bench_database_url() -> str:
    url = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(url._replace(path=url.path.rstrip("/") + "_bench"))


os.environ["DATABASE_URL"] = bench_database_url()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"

import django  # noqa: E402
import psutil  # noqa: E402

JOB_VIEW_QUERY = """
query JobView($repository: String!, $first: Int!) {
  pushes(repository: $repository, first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id databaseId revision author time commitCount
      commits { revision author comments }
      status { completed pending running success testfailed busted exception retry usercancel superseded }
    }
    jobTable {
      count lastModifiedMax pageInfo { hasNextPage endCursor }
      id pushId taskId retryId state result tier failureClassificationId
      jobType jobGroup platform options signature lastModified duration
      signatures
      jobTypes { databaseId name symbol }
      jobGroups { databaseId name symbol }
      platforms { databaseId osName platform architecture }
      optionCollections { hash options }
    }
  }
}
"""

# The job view's first load with the Push Health badge's summary asked of the server (as the page
# did until it computed the badge from its jobs, frontend/app/src/model/health.ts): the figure is
# what that aggregate added to the first load's request.
JOB_VIEW_WITH_HEALTH_QUERY = JOB_VIEW_QUERY.replace(
    "status { completed", "healthSummary { result needInvestigation }\n      status { completed"
)
HEALTH_PAIRS = 15

OBJECTS_QUERY = """
query JobObjects($repository: String!, $first: Int!) {
  pushes(repository: $repository, first: $first) {
    nodes { databaseId jobs(first: 2000) { nodes { databaseId state result jobType { symbol } } } }
  }
}
"""


def ensure_database() -> None:
    import MySQLdb

    url = urlparse(os.environ["DATABASE_URL"])
    conn = MySQLdb.connect(
        host=url.hostname or "localhost", port=url.port or 3306, user=url.username or "root", passwd=url.password or ""
    )
    conn.cursor().execute(
        f"CREATE DATABASE IF NOT EXISTS `{url.path.lstrip('/')}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    )
    conn.close()


def prepare() -> None:
    from django.core.management import call_command

    from apps.jobs.models import Job
    from apps.pushes.models import Push
    from apps.repositories.models import Repository
    from bench.query.data import generate

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    repo = Repository.objects.get(name=REPOSITORY)
    have = Job.objects.filter(repository=repo).count()
    if have == PUSHES * JOBS_PER_PUSH and Push.objects.filter(repository=repo).count() == PUSHES:
        print(f"data: reusing {PUSHES} pushes x {JOBS_PER_PUSH} jobs")
        return
    Push.objects.filter(repository=repo).delete()
    started = time.perf_counter()
    generate(repository=repo, pushes=PUSHES, jobs_per_push=JOBS_PER_PUSH)
    print(f"data: generated {PUSHES} pushes x {JOBS_PER_PUSH} jobs in {time.perf_counter() - started:.1f} s")


def count_queries(query: str, variables: dict[str, object]) -> tuple[int, dict[str, object]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = Client().post(
            "/graphql",
            {"query": query, "variables": variables},
            content_type="application/json",
            HTTP_HOST="127.0.0.1",
        )
    body = response.json()
    if "errors" in body:
        raise SystemExit(f"query failed: {body['errors']}")
    return len(ctx.captured_queries), body


def timed_runs(url: str, query: str, variables: dict[str, object], runs: int) -> tuple[list[float], int, int]:
    import requests

    session = requests.Session()
    payload = {"query": query, "variables": variables}
    headers = {"Accept": "application/json", "Accept-Encoding": "gzip"}
    times: list[float] = []
    raw_size = gzip_size = 0
    for i in range(runs + 3):
        started = time.perf_counter()
        response = session.post(f"{url}/graphql", json=payload, headers=headers, stream=True, timeout=120)
        compressed = response.raw.read(decode_content=False)
        body = gzip.decompress(compressed) if response.headers.get("Content-Encoding") == "gzip" else compressed
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or b'"errors"' in body[:200]:
            raise SystemExit(f"HTTP {response.status_code}: {body[:500]!r}")
        if i >= 3:  # the first requests warm connections and caches
            times.append(elapsed)
        raw_size, gzip_size = len(body), len(compressed)
    return times, raw_size, gzip_size


def paired_runs(
    url: str, first: str, second: str, variables: dict[str, object], pairs: int
) -> list[tuple[float, float]]:
    """Two documents sent alternately, one pair back to back: the difference within a pair is the
    second's extra cost under the same load (the machine is shared; a run of each would not be)."""
    import requests

    session = requests.Session()

    def once(query: str) -> float:
        started = time.perf_counter()
        response = session.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=120)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or b'"errors"' in response.content[:200]:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:500]!r}")
        return elapsed

    once(first), once(second)  # warm both
    found = []
    for i in range(pairs):
        # Alternate which goes first, so that neither always follows the other's cache warming.
        if i % 2:
            b, a = once(second), once(first)
        else:
            a, b = once(first), once(second)
        found.append((a, b))
    return found


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    ensure_database()
    django.setup()
    prepare()
    from bench.support.servers import free_port, wait_http

    variables = {"repository": REPOSITORY, "first": VIEW_PUSHES}
    view_queries, body = count_queries(JOB_VIEW_QUERY, variables)
    table = body["data"]["pushes"]["jobTable"]
    objects_queries, _ = count_queries(OBJECTS_QUERY, variables)

    port = free_port()
    env = dict(os.environ)
    daphne = Path(sys.executable).parent / "daphne"
    log = (ROOT / "var").resolve()
    log.mkdir(exist_ok=True)
    with (log / "bench-query-daphne.log").open("wb") as out:
        proc = subprocess.Popen(
            [str(daphne), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url, proc)  # its log: var/bench-query-daphne.log
        load_before = os.getloadavg()
        server = psutil.Process(proc.pid)
        server.cpu_percent()
        psutil.cpu_percent()
        view_times, view_raw, view_gzip = timed_runs(url, JOB_VIEW_QUERY, variables, RUNS)
        # How busy the machine was while the job view ran, and how much of it was our server:
        # the rest is this client, MariaDB, and whatever else runs on the machine.
        machine_busy, server_busy = psutil.cpu_percent(), server.cpu_percent()
        obj_times, obj_raw, obj_gzip = timed_runs(url, OBJECTS_QUERY, variables, max(5, RUNS // 6))
        health_pairs = paired_runs(url, JOB_VIEW_QUERY, JOB_VIEW_WITH_HEALTH_QUERY, variables, HEALTH_PAIRS)
        load_after = os.getloadavg()
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    ms = 1000.0
    print(f"machine: {os.cpu_count()} cores, load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(
        f"during the job view runs: machine CPU {machine_busy:.0f}% busy (all cores), "
        f"of which Daphne {server_busy / (os.cpu_count() or 1):.0f}% (the rest: this client, MariaDB, other processes)"
    )
    print(f"job view, {VIEW_PUSHES} pushes x {JOBS_PER_PUSH} jobs as one GraphQL request (jobTable):")
    print(f"  rows {table['count']}, SQL queries per request {view_queries}")
    print(f"  response bytes raw {view_raw:,}, gzip {view_gzip:,}")
    print(
        f"  latency over HTTP ({RUNS} runs): p50 {statistics.median(view_times) * ms:.0f} ms, "
        f"p95 {percentile(view_times, 95) * ms:.0f} ms"
    )
    print(f"same jobs as objects (Push.jobs, 4 fields + jobType.symbol), {len(obj_times)} runs:")
    print(f"  SQL queries per request {objects_queries}, response bytes raw {obj_raw:,}, gzip {obj_gzip:,}")
    print(
        f"  latency over HTTP: p50 {statistics.median(obj_times) * ms:.0f} ms, "
        f"p95 {percentile(obj_times, 95) * ms:.0f} ms"
    )
    without, with_health = [a for a, _ in health_pairs], [b for _, b in health_pairs]
    print(f"job view's first load without / with Push.healthSummary on each push, {len(health_pairs)} pairs:")
    print(
        f"  p50 {statistics.median(without) * ms:.0f} / {statistics.median(with_health) * ms:.0f} ms; "
        f"the summary adds p50 {statistics.median([b - a for a, b in health_pairs]) * ms:.0f} ms per request"
    )


if __name__ == "__main__":
    main()
