"""Fault injection during a synthetic stream (tests/reliability/test_faults.py, bench/reliability).

`FaultStack` runs the pipeline's processes (Daphne, the relay, two Celery ingestion workers, both
Pulse listeners) with MariaDB, RabbitMQ and Redis each reached through a `TcpProxy` the caller
controls, so an outage is a proxy cut and the shared services stay up. Pulse itself (the publisher,
standing for Taskcluster and hg) and the checks reach the services directly: what the stack cannot
see, the outside world still publishes.

`run_scenario` publishes a synthetic stream (devtools.synthetic), keeps a subscriber that resumes
with its last cursor whenever its socket drops, polls /healthz/ready (and /healthz/status), runs a
fault while the stream flows, waits until everything is stored, numbered and delivered, then checks
the promise of issue 15: every published message stored exactly once, the subscriber given exactly
the outbox's cursors (no gap, no duplicate, each with its job), no outbox row unnumbered, and
readiness reporting the outage while it lasted and recovering after. The times to recover are
measured and returned (tests print them; the bench reports them); nothing asserts on them.

Modules: `stack` (the processes and proxies), `stream` (the synthetic stream and its publisher),
`observers` (the resuming subscriber, the health probes), `scenario` (one fault during one stream),
`checks` (the promises, the recovery figures), `catalog` (the faults).
"""

from tests.support.faults.catalog import (
    BROKER_CUT,
    DAPHNE_RESTARTED,
    DATABASE_CUT,
    FAULTS,
    LISTENERS_SIGKILL,
    REDIS_KILLED,
    TWO_RELAYS,
    WORKER_SIGKILL,
    Fault,
)
from tests.support.faults.scenario import Readiness, Report, Scenario, run_scenario
from tests.support.faults.stack import FaultStack, delete_pulse_queues, wait
from tests.support.faults.stream import StreamPlan

__all__ = [
    "BROKER_CUT",
    "DAPHNE_RESTARTED",
    "DATABASE_CUT",
    "FAULTS",
    "LISTENERS_SIGKILL",
    "REDIS_KILLED",
    "TWO_RELAYS",
    "WORKER_SIGKILL",
    "Fault",
    "FaultStack",
    "Readiness",
    "Report",
    "Scenario",
    "StreamPlan",
    "delete_pulse_queues",
    "run_scenario",
    "wait",
]
