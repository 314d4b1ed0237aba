"""bench/reliability: the fault suite at the issue's durations, with the times to recover.

Runs the stack of tests/reliability/test_faults.py (Daphne, relay, two Celery workers, both Pulse
listeners, each service behind a proxy: tests/support/faults/) on a database of its own, and
injects each fault into a synthetic stream long enough to outlast it: one of two workers
SIGKILLed mid-batch (restarted after 5 s), both listeners SIGKILLed (down 5 s), MariaDB cut 30 s,
Redis killed 30 s (cut, and its database flushed), Daphne stopped (SIGTERM) and started 5 s later,
RabbitMQ cut 20 s, two relays at once. After each it checks what the tests check (everything
stored exactly once, the resuming subscriber given exactly the outbox's cursors with their jobs,
nothing unnumbered, readiness) and prints, in seconds from the fault's end:
readiness back (`ready`), each dependency reported up on /healthz/status (`<name> up`), the
subscriber's first event (`first event`), and everything stored and delivered (`caught up`,
counted from the later of the fault's end and the last publish).

    bin/bench reliability
    BENCH_FAULTS="MariaDB cut,RabbitMQ cut" bin/bench reliability     # some of them
    BENCH_FAULT_SCALE=0.5 bin/bench reliability                       # every outage half as long
    BENCH_RETRY_BASE=10 bin/bench reliability                         # production's retry back-off

Its database is <DATABASE_URL name>_reliability (recreated each run); its Pulse queues are its own.
bench/README.md has the figures.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


from bench.support.database import scratch_database_url, setup_database  # noqa: E402

os.environ["DATABASE_URL"] = scratch_database_url("reliability")

import django  # noqa: E402

django.setup()

from devtools.replay import PulsePublisher  # noqa: E402
from devtools.sample_services import serve  # noqa: E402
from tests.support import faults  # noqa: E402
from tests.support.ingest import ingestion_env, make_golden_repositories  # noqa: E402
from tests.support.workers import purge_queues  # noqa: E402

SELECTED = [name.strip() for name in os.environ.get("BENCH_FAULTS", "").split(",") if name.strip()]
SCALE = float(os.environ.get("BENCH_FAULT_SCALE", "1"))
RETRY_BASE = os.environ.get("BENCH_RETRY_BASE", "0.5")  # INGEST_RETRY_BASE_SECONDS of the workers


def setup_bench_database() -> None:
    setup_database(dict(os.environ), reference_data=False)
    make_golden_repositories()


def plan_for(seconds: float) -> faults.StreamPlan:
    """A stream that outlasts the fault: pushes every 3 s for 15 s more than it lasts."""
    pushes = max(4, int((seconds + 15) / 3))
    return faults.StreamPlan.new(pushes=pushes, tasks=10, push_interval=3.0, step_interval=1.5)


def main() -> int:
    chosen = [f for f in faults.FAULTS if not SELECTED or f.name in SELECTED]
    load = os.getloadavg()
    print(
        f"bench/reliability: {', '.join(f.name for f in chosen)}; retry base {RETRY_BASE} s; "
        f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    setup_bench_database()
    sample = serve("127.0.0.1", 0)
    broker = os.environ["CELERY_BROKER_URL"]
    purge_queues(broker)
    PulsePublisher(os.environ["PULSE_URL"], declare_listener_queues=False).close()
    # Production's retry base is 10 s: a batch that failed through a 30 s outage then waits up to a
    # minute or two more. BENCH_RETRY_BASE=10 shows that; 0.5 shows how fast the rest recovers.
    env = {
        "DATABASE_URL": os.environ["DATABASE_URL"],
        **ingestion_env(sample.url, f"bench-faults-{uuid.uuid4().hex[:6]}", retry_base=RETRY_BASE),
    }
    logs = Path(tempfile.mkdtemp(prefix="bench-reliability-"))
    stack = faults.FaultStack(
        logs, env, database_url=env["DATABASE_URL"], broker_url=broker, redis_url=os.environ["REDIS_URL"]
    )
    reports: list[faults.Report] = []
    try:
        started = time.monotonic()
        stack.start_all()
        print(f"stack up in {time.monotonic() - started:.1f} s (logs in {logs})")
        for fault in chosen:
            stack.start_all()  # whatever the last fault took down
            seconds = fault.seconds * SCALE
            report = faults.run_scenario(stack, fault, plan_for(seconds), seconds, hg_url=sample.url)
            reports.append(report)
            print(report.line(), flush=True)
            for problem in report.problems:
                print(f"  PROBLEM: {problem}")
            print(f"  subscriber reconnects: {report.closes}", flush=True)
    finally:
        stack.close()
        purge_queues(broker)
        faults.delete_pulse_queues(os.environ["PULSE_URL"], env["PULSE_QUEUE_USER"])
        sample.shutdown()
    load = os.getloadavg()
    print(f"load after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    failed = [r.name for r in reports if r.problems]
    print("every promise held" if not failed else f"broken promises: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
