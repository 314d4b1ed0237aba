"""bench/soak: the whole system under a steady load for half an hour, checked against stated bounds.

The Procfile's processes each on their own (web, relay, both Pulse listeners, the store worker and
both log-parser workers, plus the sample Taskcluster/hg server of Procfile.quickstart), on a scratch
database (<DATABASE_URL name>_soak) and their own Pulse queues. For SOAK_MINUTES (30):

* a synthetic Pulse stream at SOAK_RATE (200) task messages a second (bench/soak/traffic.py);
* SOAK_SUBSCRIBERS (500) graphql-transport-ws subscribers in SOAK_CLIENT_PROCESSES (2) asyncio
  processes (bench/soak/subscribers.py), all resuming `after:` the cursor read before the stream
  began, with a mix of filters (see SUBSCRIPTIONS);
* a bot's classifyJobs mutation over HTTP with an API token every SOAK_CLASSIFY_SECONDS (10).

Every ~30 s it samples RSS, open fds and inet connections of each process tree. At the end it
waits for the pipeline to drain, then checks every subscriber's cursors against the outbox table
(what its subscription should have received: none lost, none twice), published messages against
stored ones, and prints per 5-minute window the latency percentiles (Pulse publish -> subscriber
read, and outbox write -> subscriber read) and the resources, then the bounds (bench/README.md says
why these); it exits 1 if one is broken.

    bin/bench soak                                   # 30 minutes, 200 msg/s, 500 subscribers
    SOAK_MINUTES=2 bin/bench soak                    # a short run (windows shrink to a sixth)
    SOAK_RATE=100 SOAK_SUBSCRIBERS=200 bin/bench soak
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.support.database import scratch_database_url, setup_database  # noqa: E402
from bench.support.servers import free_port, wait_http  # noqa: E402

MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
RATE = float(os.environ.get("SOAK_RATE", "200"))
SUBSCRIBERS = int(os.environ.get("SOAK_SUBSCRIBERS", "500"))
CLIENT_PROCESSES = int(os.environ.get("SOAK_CLIENT_PROCESSES", "2"))
CLASSIFY_SECONDS = float(os.environ.get("SOAK_CLASSIFY_SECONDS", "10"))
# After the stream stops: how long to wait for the pipeline to store the backlog.
DRAIN_SECONDS = float(os.environ.get("SOAK_DRAIN_SECONDS", "600"))
# 1: run the web process under tracemalloc and print where its memory grew (bench/soak/traced.py).
TRACEMALLOC = os.environ.get("SOAK_TRACEMALLOC") == "1"
DURATION = MINUTES * 60
# Six windows: the first is warm-up (subscribers connecting and replaying, caches filling), the
# second is the baseline the last is compared with.
WINDOW = float(os.environ.get("SOAK_WINDOW_SECONDS", str(min(300.0, DURATION / 6))))
SAMPLE_SECONDS = min(30.0, WINDOW / 5)
PROCESSES = (
    "web",
    "relay",
    "pulse_listener_pushes",
    "pulse_listener_tasks",
    "worker_store_pulse_data",
    "worker_log_parser_failures",
    "worker_log_parser",
    "sample_services",
)

PY = sys.executable
SAMPLE_PORT = free_port()
WEB_PORT = free_port()
SAMPLE_URL = f"http://127.0.0.1:{SAMPLE_PORT}"
WEB_URL = f"http://127.0.0.1:{WEB_PORT}"
ENV = {
    **os.environ,
    "DATABASE_URL": scratch_database_url("soak"),
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "TASKCLUSTER_ROOT_URL": SAMPLE_URL,
    "HG_URL": SAMPLE_URL,
    "GITHUB_API_URL": SAMPLE_URL,
    "BUGZILLA_URL": SAMPLE_URL,
    "SAMPLE_SERVICES_PORT": str(SAMPLE_PORT),
    "PORT": str(WEB_PORT),
    # Its own Pulse queues: a queue of another run left bound to the exchanges would get a copy.
    "PULSE_QUEUE_USER": f"soak-{uuid.uuid4().hex[:6]}",
    "INGEST_RETRY_BASE_SECONDS": "1",
    # Every subscriber connects from 127.0.0.1: above the production default (200 per address and
    # process), which would refuse all but the first 200 and leave the rest reconnecting.
    "LIVE_MAX_CONNECTIONS_PER_ADDRESS": str(SUBSCRIBERS + 100),
    "LOG_LEVEL": os.environ.get("SOAK_LOG_LEVEL", "WARNING"),
    "PYTHONUNBUFFERED": "1",
}
os.environ.update(ENV)

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
import requests  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from kombu import Connection  # noqa: E402

from apps.core.metrics import metrics_snapshot  # noqa: E402
from apps.live.selectors import head_seq  # noqa: E402
from bench.soak import report  # noqa: E402
from bench.soak.budget import CpuBudget, cpu_seconds, service_processes  # noqa: E402
from bench.soak.procfile import procfile_commands, run_procfile_process  # noqa: E402
from bench.soak.sampler import Sample, sample  # noqa: E402
from bench.soak.traffic import Publisher  # noqa: E402
from tests.support.workers import ALL_QUEUES, purge_queues  # noqa: E402

JOB_FIELDS = "cursor changed job { guid state result }"
JOBS_QUERY = (
    "subscription ($after: String, $filter: JobEventFilter) {"
    f' jobChanged(repository: "autoland", filter: $filter, after: $after) {{ {JOB_FIELDS} }} }}'
)
FAILURES_QUERY = (
    'subscription ($after: String) { jobFailures(repositories: ["autoland"], after: $after)'
    " { cursor kind job { guid result } } }"
)


def subscriptions(count: int) -> list[dict[str, Any]]:
    """The subscriber mix, chosen so the machine can carry it (about 2,000 messages a second at 200
    msg/s, where one unfiltered subscription each would be 100,000): 60% follow one job symbol
    (one task of every push, 100 distinct documents, three subscribers each: shared executions
    with few subscribers), 20% the failures (results TESTFAILED/BUSTED: one execution shared by
    all), 10% a platform and job group (30 combinations), 10% the bots' jobFailures."""
    from devtools.synthetic import PLATFORMS, SUITES

    specs = []
    for i in range(count):
        share = i % 10
        if share < 6:
            n = (i // 10 * 6 + share) % 100
            suite = SUITES[n % len(SUITES)]
            job_filter: dict[str, Any] = {"symbols": [f"{suite[1].lower()}{n // len(SUITES) + 1}"]}
        elif share < 8:
            job_filter = {"results": ["TESTFAILED", "BUSTED"]}
        elif share == 8:
            n = i // 10
            job_filter = {
                "platforms": [PLATFORMS[n % len(PLATFORMS)][0]],
                "symbols": [SUITES[n // len(PLATFORMS) % len(SUITES)][1]],
            }
        else:
            specs.append({"kind": "failures", "query": FAILURES_QUERY, "filter": None, "field": "jobFailures"})
            continue
        specs.append({"kind": "jobs", "query": JOBS_QUERY, "filter": job_filter, "field": "jobChanged"})
    return specs


@dataclass
class Client:
    process: subprocess.Popen[str]
    output: Path
    specs: list[dict[str, Any]]
    stats: dict[str, Any] = field(default_factory=lambda: {"received": 0, "reconnects": 0, "last_cursor": 0})

    def command(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def refresh(self) -> dict[str, Any]:
        answer = self.command("STATS")
        if answer.startswith("STATS "):
            self.stats = json.loads(answer[6:])
        return self.stats


def start_clients(tmp: Path, specs: list[dict[str, Any]], after: str) -> list[Client]:
    ws_url = WEB_URL.replace("http://", "ws://") + "/graphql"
    clients = []
    for n in range(CLIENT_PROCESSES):
        mine = [(i, s) for i, s in enumerate(specs) if i % CLIENT_PROCESSES == n]
        config = {
            "output": str(tmp / f"client{n}.bin"),
            "subscribers": [
                {
                    "index": i,
                    "url": ws_url,
                    "query": s["query"],
                    "field": s["field"],
                    "variables": {"after": after, **({"filter": s["filter"]} if s["filter"] else {})},
                }
                for i, s in mine
            ],
        }
        config_path = tmp / f"client{n}.json"
        config_path.write_text(json.dumps(config))
        proc = subprocess.Popen(
            [PY, str(Path(__file__).with_name("subscribers.py")), str(config_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(tmp / f"client{n}.log").open("w"),
            cwd=ROOT,
            text=True,
            start_new_session=True,
        )
        clients.append(Client(proc, tmp / f"client{n}.bin", [s for _, s in mine]))
    for client in clients:
        assert client.process.stdout is not None
        line = client.process.stdout.readline().strip()
        if line != "READY":
            raise SystemExit(f"soak: a client did not get ready ({line!r}); see {tmp}/client*.log")
    return clients


def graphql(query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(
        f"{WEB_URL}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=60
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


CLASSIFY = """
mutation ($ids: [Int!]!) {
  classifyJobs(input: {jobIds: $ids, classificationId: 4, text: "soak: intermittent"}) { __typename }
}
"""


@dataclass
class Classifier:
    """A bot: every CLASSIFY_SECONDS, classifies the newest unclassified failed job over HTTP."""

    token: str
    done: list[tuple[float, float, str]] = field(default_factory=list)  # (at, seconds, __typename or error)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="soak-classifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        from apps.jobs.models import Job

        while not self._stop.wait(CLASSIFY_SECONDS):
            started = time.time()
            try:
                close_old_connections()
                job_id = (
                    Job.objects.filter(result="testfailed", failure_classification_id=1)
                    .order_by("-id")
                    .values_list("id", flat=True)
                    .first()
                )
                if job_id is None:
                    continue
                body = graphql(CLASSIFY, {"ids": [job_id]}, token=self.token)
                outcome = body["data"]["classifyJobs"]["__typename"] if not body.get("errors") else str(body["errors"])
            except Exception as exc:  # noqa: BLE001 - counted and reported; the soak goes on
                outcome = f"error: {exc!r}"[:200]
            self.done.append((started, time.time() - started, outcome))


def make_bot_token() -> str:
    from tests.support.accounts import make_token, make_user

    return make_token(make_user("soak-bot"), "read", "classify")


def drain(timeout: float = DRAIN_SECONDS) -> float:
    """Wait until the pipeline has stored what it will: the Celery queues have no ready message,
    the outbox is fully numbered, and no event was written for 20 s (a worker's prefetched and
    retry-delayed tasks are not in the queue counts; their writes are what the quiet period waits
    for). Returns the seconds it took."""
    from apps.live.models import Event

    started = time.monotonic()
    stable_since, last = time.monotonic(), (-1, -1)
    with Connection(os.environ["CELERY_BROKER_URL"]) as conn:
        while time.monotonic() - started < timeout:
            close_old_connections()
            backlog = 0
            for queue in ALL_QUEUES:
                try:
                    backlog += conn.channel().queue_declare(queue, passive=True)[1]
                except Exception:  # noqa: BLE001, S112 - never declared: empty
                    continue
            unnumbered = Event.objects.filter(seq__isnull=True).count()
            state = (Event.objects.count(), backlog + unnumbered)
            if state != last:
                stable_since, last = time.monotonic(), state
            elif backlog == 0 and unnumbered == 0 and time.monotonic() - stable_since > 20:
                return time.monotonic() - started
            time.sleep(1)
    print(f"soak: the pipeline had not drained after {timeout:.0f} s (events, backlog = {last})")
    return time.monotonic() - started


def wait_for_subscribers(clients: list[Client], end_cursor: int, timeout: float = 300) -> None:
    """Until every subscriber's newest cursor is at or past end_cursor (every subscription here
    matches events all the time, so each gets one past it soon) or their receipts stop growing
    for 15 s."""
    started = time.monotonic()
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - started < timeout:
        stats = [c.refresh() for c in clients]
        total = sum(s["received"] for s in stats)
        if min(s.get("min_last_cursor", 0) for s in stats) >= end_cursor:
            return
        if total != last:
            last, stable_since = total, time.monotonic()
        elif time.monotonic() - stable_since > 15:
            return
        time.sleep(1)


def main() -> int:
    # SIGTERM (timeout, a CI cancel) unwinds like Ctrl-C, so every process started here is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(
        f"bench/soak: {MINUTES:g} min, {RATE:g} msg/s, {SUBSCRIBERS} subscribers in {CLIENT_PROCESSES} processes, "
        f"a classification every {CLASSIFY_SECONDS:g} s; windows of {WINDOW:g} s, samples every {SAMPLE_SECONDS:g} s"
    )
    print(f"load average before: {os.getloadavg()}", flush=True)
    setup_database(ENV)
    connection.close()
    purge_queues(os.environ["CELERY_BROKER_URL"])
    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    print(f"logs in {tmp}", flush=True)
    commands = procfile_commands(*PROCESSES)
    if TRACEMALLOC:
        commands["web"] = commands["web"].replace(".venv/bin/daphne", f"{PY} bench/soak/traced.py", 1)
        ENV["SOAK_TRACEMALLOC_DIR"] = str(tmp)
    samples: dict[str, list[Sample]] = {name: [] for name in (*PROCESSES, "subscribers")}
    with ExitStack() as stack:
        # Deleted after the listeners stop (callbacks run last-in first-out): deleted under a running
        # listener, a queue is declared again by its reconnect and, left without a consumer, gets a
        # copy of every later run's messages.
        stack.callback(delete_pulse_queues)
        procs = {name: stack.enter_context(run_procfile_process(name, cmd, tmp, ENV)) for name, cmd in commands.items()}
        wait_http(WEB_URL, timeout=120, path="/healthz/live")
        wait_http(SAMPLE_URL, timeout=120, path="/healthz/live")
        roots = {name: psutil.Process(p.process.pid) for name, p in procs.items()}
        token = make_bot_token()
        start_cursor = graphql("{ liveCursor }")["data"]["liveCursor"]
        # Every subscriber is connected before the stream starts. Connecting 500 under a running
        # stream on this machine took two minutes, and each late subscriber then replays the whole
        # repository's events since the start cursor on its own (the stream filters in Python,
        # per subscriber, before it may share an execution): the warm-up would measure that, not
        # the steady state. (bench/README.md has the figures.)
        connecting = time.time()
        specs = subscriptions(SUBSCRIBERS)
        clients = start_clients(tmp, specs, start_cursor)
        for client in clients:
            stack.callback(stop_client, client)
        print(f"{SUBSCRIBERS} subscribers connected and subscribed in {time.time() - connecting:.1f} s", flush=True)
        publisher = Publisher(seed=int(time.time()), rate=RATE, hg_url=SAMPLE_URL)
        publisher.start()
        stack.callback(publisher.stop)
        t0 = time.time()
        counters_at_start = metrics_snapshot()
        budget = cpu_budget(roots, clients)
        budget.start()
        classifier = Classifier(token)
        classifier.start()
        stack.callback(classifier.stop)

        next_sample = t0
        snapped = False
        while time.time() < t0 + DURATION:
            for name, root in roots.items():
                samples[name].append(sample(root))
            client_samples = [sample(psutil.Process(c.process.pid)) for c in clients]
            samples["subscribers"].append(
                Sample(
                    at=time.time(),
                    rss=sum(s.rss for s in client_samples),
                    fds=sum(s.fds for s in client_samples),
                    connections=sum(s.connections for s in client_samples),
                    processes=len(client_samples),
                )
            )
            stats = [c.refresh() for c in clients]
            close_old_connections()
            head = head_seq()
            dead = [name for name, p in procs.items() if p.process.poll() is not None]
            elapsed = time.time() - t0
            print(
                f"  {elapsed:6.0f} s: published {publisher.messages} ({publisher.messages / max(1.0, elapsed):.0f}/s), "
                f"received {sum(s['received'] for s in stats)}, reconnects {sum(s['reconnects'] for s in stats)}, "
                f"head {head}, slowest subscriber at {min(s.get('min_last_cursor', 0) for s in stats)}, "
                f"web RSS {samples['web'][-1].rss / 2**20:.0f} MiB, "
                f"load {os.getloadavg()[0]:.1f}" + (f"; EXITED: {dead}" if dead else ""),
                flush=True,
            )
            if publisher.error is not None:
                raise SystemExit(f"soak: the publisher failed: {publisher.error!r}")
            if TRACEMALLOC and not snapped and elapsed >= WINDOW:
                snapped = True
                os.kill(procs["web"].process.pid, signal.SIGUSR1)
            next_sample += SAMPLE_SECONDS
            time.sleep(max(0.0, min(next_sample, t0 + DURATION) - time.time()))

        publisher.stop()
        classifier.stop()
        budget.stop()
        print_live_cost(samples["web"], counters_at_start, start_cursor=int(start_cursor))
        print("\n".join(budget.lines(len(publisher.published))), flush=True)
        if TRACEMALLOC:
            os.kill(procs["web"].process.pid, signal.SIGUSR1)
            time.sleep(30)  # a snapshot of a large heap takes a while
        print(f"stream stopped; load average {os.getloadavg()}; draining", flush=True)
        drained = drain()
        # The subscribers are checked up to the head now: anything later is still being written.
        end_cursor = int(graphql("{ liveCursor }")["data"]["liveCursor"])
        wait_for_subscribers(clients, end_cursor)
        for client in clients:
            stop_client(client)
        exited = {name: p.process.returncode for name, p in procs.items() if p.process.poll() is not None}
        print(f"drained in {drained:.1f} s; load average after: {os.getloadavg()}", flush=True)

    receipts = report.read_receipts(clients)
    result = report.analyse(
        t0=t0,
        duration=DURATION,
        window=WINDOW,
        start_cursor=int(start_cursor),
        end_cursor=end_cursor,
        specs=specs,
        receipts=receipts,
        publisher=publisher,
        classifier=classifier.done,
        samples=samples,
        exited=exited,
    )
    report.print_report(result)
    if TRACEMALLOC:
        report.print_memory_growth(tmp)
    return 0 if result.passed else 1


def cpu_budget(roots: dict[str, psutil.Process], clients: list[Client]) -> CpuBudget:
    """Every process the stream runs on: the Procfile's trees, the shared services, the subscriber
    processes and this one (the publisher, the bot, the sampler; its children are the trees)."""
    groups: dict[str, Any] = {name: (lambda root=root: cpu_seconds([root])) for name, root in roots.items()}
    for label, procs in service_processes().items():
        groups[f"{label} (shared service)"] = lambda procs=procs: cpu_seconds(procs, children=False)
    client_procs = [psutil.Process(c.process.pid) for c in clients]
    groups["subscribers (load)"] = lambda: cpu_seconds(client_procs)
    groups["publisher, bot, sampler (load)"] = lambda: cpu_seconds([psutil.Process()], children=False)
    return CpuBudget(groups)


def print_live_cost(web: list[Sample], counters_at_start: dict[str, int], *, start_cursor: int) -> None:
    """What live delivery cost Daphne during the stream, per outbox event: CPU seconds (its process
    tree) and the database queries of its live read pool (apps/live/reads.py), of which the shared
    reads of events' rows (schema/live/rows.py). Figures that do not depend on how loaded the
    machine is, unlike latency."""
    close_old_connections()
    events = head_seq() - start_cursor
    now = metrics_snapshot()

    def delta(key: str) -> int:
        return now.get(key, 0) - counters_at_start.get(key, 0)

    cpu = web[-1].cpu - web[0].cpu if len(web) > 1 else 0.0
    queries, rows = delta("live_db_queries"), delta('live_row_reads{loader="JobByIdLoader"}')
    per = max(1, events)
    print(
        f"live cost during the stream: {events} outbox events; web (Daphne) {cpu:.1f} CPU s = "
        f"{cpu * 1000 / per:.2f} CPU s per 1,000 events; live DB queries {queries} = {queries / per:.2f} per "
        f"event, of which job-row reads {rows} = {rows / per:.2f} per event",
        flush=True,
    )


def stop_client(client: Client) -> None:
    if client.process.poll() is None:
        try:
            assert client.process.stdin is not None and client.process.stdout is not None
            client.process.stdin.write("STOP\n")
            client.process.stdin.flush()
            client.process.wait(timeout=120)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            client.process.kill()
            client.process.wait()


def delete_pulse_queues() -> None:
    with Connection(os.environ["PULSE_URL"]) as conn:
        for name in ("tasks", "resultsets"):
            try:
                conn.channel().queue_delete(f"queue/{ENV['PULSE_QUEUE_USER']}/{name}")
            except Exception:  # noqa: BLE001, S112 - never declared
                continue


if __name__ == "__main__":
    sys.exit(main())
