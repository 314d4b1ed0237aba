"""Metrics with prometheus-client, shown at /metrics in its text format.

Every process of a machine (web, workers, listeners, relay, scheduler) records into
prometheus-client's multiprocess files under PROMETHEUS_MULTIPROC_DIR (config.env exports it, and
bin/run clears it at start), and any web process's /metrics sums them: a figure is counted once
however many processes there are, and Prometheus scrapes one web process per machine. Embedded
mode does the same (its replay is a process of its own).

Two kinds of figures:

* **Declared** below (histograms, gauges, counters with fixed labels): GraphQL requests, ingest lag,
  commit-to-subscriber delivery, queue depths, log parsing, open WebSockets and subscriptions, live
  events, scheduled runs, HTTP requests.
* **Ingestion counters** by name: `Counters.incr("pulse_task_rejected", reason=...)` and
  `metrics_incr(...)` create the counter `treeherder_<name>_total` on first use, with the label
  names of that first use (the call sites predate this module and name their counters freely).

`metrics_snapshot()` reads the counters back as `{"name{label=\"v\"}": value}` (tests, `?format=json`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import Counter as CountMap
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST as PROMETHEUS_CONTENT_TYPE
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

logger = logging.getLogger(__name__)

PREFIX = "treeherder_"
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))  # exported by config.env, read by the library
__all__ = ["PROMETHEUS_CONTENT_TYPE", "Counters", "metrics_incr", "metrics_prometheus_text", "metrics_snapshot"]

_lock = threading.Lock()
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
COST_BUCKETS = (1, 10, 100, 1_000, 10_000, 50_000, 100_000)

# --- declared figures -------------------------------------------------------------------------------
GRAPHQL_REQUESTS = Counter(
    "treeherder_graphql_requests", "GraphQL operations executed", ["operation", "type", "outcome"]
)
GRAPHQL_DURATION = Histogram(
    "treeherder_graphql_duration_seconds", "GraphQL operation execution time", ["operation"], buckets=LATENCY_BUCKETS
)
GRAPHQL_COST = Histogram(
    "treeherder_graphql_cost", "Query cost (objects the query may return; schema/limits.py)", ["operation"],
    buckets=COST_BUCKETS,
)  # fmt: skip
HTTP_REQUESTS = Counter("treeherder_http_requests", "HTTP requests answered", ["method", "status"])
HTTP_DURATION = Histogram("treeherder_http_duration_seconds", "HTTP request duration", buckets=LATENCY_BUCKETS)
INGEST_LAG = Histogram(
    "treeherder_ingest_lag_seconds",
    "Pulse message publish (or, without a publish time, listener receipt) to its batch's commit",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
LIVE_DELIVERY = Histogram(
    "treeherder_live_delivery_seconds",
    "Commit of a change (its outbox event) to its dispatch to this process's subscribers",
    buckets=LATENCY_BUCKETS,
)
LIVE_EVENTS = Counter(
    "treeherder_live_events", "Live events by stage: published (outbox), relayed, dropped (a lagging stream)", ["stage"]
)
LIVE_DB_QUERIES = Counter(
    "treeherder_live_db_queries", "Database queries of live delivery (the live read pool, apps/live/reads.py)"
)
LIVE_ROW_READS = Counter(
    "treeherder_live_row_reads",
    "Shared reads of the rows live events name, one query each (schema/live/rows.py), by loader",
    ["loader"],
)
WEBSOCKETS_OPEN = Gauge("treeherder_websockets_open", "Open GraphQL WebSockets", multiprocess_mode="livesum")
SUBSCRIPTIONS_OPEN = Gauge("treeherder_subscriptions_open", "Active GraphQL subscriptions", multiprocess_mode="livesum")
QUEUE_DEPTH = Gauge(
    "treeherder_queue_depth", "Messages ready in a Celery queue (sampled by the scheduler)", ["queue"],
    multiprocess_mode="mostrecent",
)  # fmt: skip
LOG_PARSE = Counter("treeherder_log_parse", "Log parsing outcomes", ["outcome"])
LOG_PARSE_DURATION = Histogram("treeherder_log_parse_duration_seconds", "Log parsing time", buckets=LATENCY_BUCKETS)
DEPENDENCY_ERRORS = Counter(
    "treeherder_dependency_errors", "Failures to reach a dependency (the database), logged or not", ["dependency"]
)
DEPENDENCY_OUTAGES = Counter(
    "treeherder_dependency_outages", "Times a process found a dependency unreachable (a log line each)", ["dependency"]
)
SCHEDULED_RUNS = Counter("treeherder_scheduled_runs", "Runs of scheduled jobs", ["task", "outcome"])
SCHEDULED_DURATION = Histogram(
    "treeherder_scheduled_duration_seconds", "Duration of scheduled jobs", ["task"],
    buckets=(0.1, 1.0, 10.0, 60.0, 300.0, 1800.0, 3600.0, 4 * 3600.0),
)  # fmt: skip


def log_parse_outcome(outcome: str, seconds: float | None = None) -> None:
    """The hook log parsing calls once per log: outcome such as parsed, failed, skipped_size."""
    LOG_PARSE.labels(outcome=outcome).inc()
    if seconds is not None:
        LOG_PARSE_DURATION.observe(seconds)


_OPERATION = re.compile(r"[^A-Za-z0-9_]")
_operations: set[str] = set()
MAX_OPERATION_NAMES = 200


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name: at most 200 distinct ones, then `other`."""
    if not name:
        return "anonymous"
    label = _OPERATION.sub("_", name)[:64]
    with _lock:
        if label not in _operations:
            if len(_operations) >= MAX_OPERATION_NAMES:
                return "other"
            _operations.add(label)
    return label


@contextmanager
def websocket_open() -> Iterator[None]:
    WEBSOCKETS_OPEN.inc()
    try:
        yield
    finally:
        WEBSOCKETS_OPEN.dec()


# --- ingestion counters by name ---------------------------------------------------------------------
_counters: dict[str, tuple[Counter, tuple[str, ...]]] = {}
# What the named counters mean (HELP); a counter not listed gets its name as its help.
HELP = {
    "pulse_task_messages": "Taskcluster Pulse messages consumed, by event",
    "pulse_task_rejected": "Taskcluster messages rejected, by reason",
    "pulse_task_ignored_runs": "Task runs ignored (superseded or not for Treeherder)",
    "pulse_push_messages": "Push Pulse messages consumed, by exchange",
    "pulse_push_rejected": "Push messages rejected, by reason",
    "pulse_malformed_messages": "Pulse messages a listener refused (undecodable, too_large, too_deep)",
    "pulse_dead_letters": "Messages dead-lettered after their retries, by kind and reason",
    "pulse_batch_timeouts": "Ingestion batches past their soft time limit",
    "pulse_batch_redelivered": "Ingestion batches delivered again after a lost worker or hard limit",
    "pulse_batch_db_errors": "Ingestion batches that hit a database error",
    "pulse_batch_errors": "Ingestion messages that failed unexpectedly",
    "pulse_listener_reconnects": "Pulse listener reconnections",
    "jobs_created": "Jobs inserted",
    "jobs_updated": "Jobs whose state or fields changed",
    "jobs_unchanged": "Job messages that changed nothing",
    "jobs_missing_push": "Job messages retried because their push is not stored yet",
    "pushes_stored": "Pushes inserted or changed",
    "pushes_unchanged": "Push messages that changed nothing",
    "pushlog_pushes_recovered": "Pushes the hg pushlog failsafe stored that Pulse had not delivered",
    "live_resumed_subscriptions_shared": "Resumed subscriptions moved into a shared execution",
    "websockets_refused": "GraphQL WebSockets closed at once, by reason (connections_per_address)",
    "db_conflict_retries": "Write transactions run again after a deadlock or lock wait timeout, by service",
    "db_conflict_failures": "Write transactions that lost a lock conflict in every attempt, by service",
}


def metric_key(name: str, **labels: str) -> str:
    if not labels:
        return name
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def _named_counter(name: str, labels: dict[str, str]) -> Counter:
    with _lock:
        entry = _counters.get(name)
        if entry is None:
            names = tuple(sorted(labels))
            entry = (Counter(f"{PREFIX}{name}", HELP.get(name, name.replace("_", " ")), names), names)
            _counters[name] = entry
    counter, names = entry
    if not names:
        return counter
    if set(labels) != set(names):
        logger.warning("metric %s takes labels %s, not %s; missing ones are empty", name, names, sorted(labels))
    return counter.labels(**{key: str(labels.get(key, "")) for key in names})


def metrics_incr(name: str, amount: int = 1, **labels: str) -> None:
    if amount:
        _named_counter(name, labels).inc(amount)


class Counters:
    """Increments collected while a batch runs and recorded by `flush()` (the ingestion call sites
    count into one of these and flush once per task). `values` is keyed `name{label="value"}`."""

    def __init__(self) -> None:
        self.values: CountMap[str] = CountMap()
        self._parts: dict[str, tuple[str, dict[str, str]]] = {}

    def incr(self, name: str, amount: int = 1, **labels: str) -> None:
        if amount:
            key = metric_key(name, **labels)
            self.values[key] += amount
            self._parts.setdefault(key, (name, labels))

    def flush(self) -> None:
        values, self.values = self.values, CountMap()
        parts, self._parts = self._parts, {}
        for key, amount in values.items():
            name, labels = parts[key]
            metrics_incr(name, amount, **labels)


# --- reading ------------------------------------------------------------------------------------------
def _registry() -> CollectorRegistry:
    if not MULTIPROCESS:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_prometheus_text() -> bytes:
    return generate_latest(_registry())


_baseline: dict[str, float] = {}


def _counter_values() -> dict[str, float]:
    values: dict[str, float] = {}
    for family in _registry().collect():
        if family.type != "counter" or not family.name.startswith(PREFIX):
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            name = sample.name[len(PREFIX) : -len("_total")]
            labels = {key: value for key, value in sample.labels.items() if value != ""}
            key = metric_key(name, **labels)
            values[key] = values.get(key, 0.0) + sample.value
    return values


def metrics_snapshot() -> dict[str, int]:
    """Every counter (summed over the machine's processes), as `{"name{label=\"v\"}": value}`, less
    what it was at this process's last `metrics_reset()` (counters only grow; tests reset)."""
    current = _counter_values()
    result = {key: int(value - _baseline.get(key, 0.0)) for key, value in current.items()}
    return dict(sorted((key, value) for key, value in result.items() if value))


def metrics_reset() -> None:
    """Start counting from now, for `metrics_snapshot()` in this process (Prometheus counters never
    go down; rate() over them is what dashboards show)."""
    global _baseline
    _baseline = _counter_values()


def mark_process_dead(pid: int) -> None:
    """Forget a finished process's live gauges (its counters stay: they happened)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid)
