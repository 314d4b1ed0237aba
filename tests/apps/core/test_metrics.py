"""/metrics is prometheus-client's text format: every figure parses with prometheus_client.parser,
with HELP and TYPE, label values escaped, and counts summed over this machine's processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.core.metrics import Counters, log_parse_outcome, metrics_incr, metrics_reset, metrics_snapshot
from tests.support.processes import ROOT, process_env

pytestmark = pytest.mark.django_db(transaction=True)


def _families(client: Any) -> dict[str, Any]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def _value(family: Any, sample_name: str, **labels: str) -> float:
    values = [
        s.value
        for s in family.samples
        if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(values) == 1, (sample_name, labels, family.samples)
    return float(values[0])


def _delta(before: dict[str, Any], after: dict[str, Any], family: str, sample: str, **labels: str) -> float:
    """How much a sample grew (the multiprocess files keep earlier runs' counts)."""
    try:
        old = _value(before[family], sample, **labels)
    except (KeyError, AssertionError):
        old = 0.0
    return _value(after[family], sample, **labels) - old


def test_counters_histograms_and_label_escaping(client: Any, reference_data: None) -> None:
    before = _families(client)
    metrics_reset()
    counters = Counters()
    counters.incr("pulse_task_rejected", reason="unknown_repository")
    counters.incr("pulse_task_rejected", 2, reason="unknown_repository")
    counters.incr("pulse_task_rejected", reason='odd "quoted" \\ value\nnewline')
    counters.flush()
    metrics_incr("jobs_created", 5)
    log_parse_outcome("parsed", 0.3)
    query = "query RepoList { repositories { name } }"
    body = {"query": query, "operationName": "RepoList"}
    assert client.post("/graphql", body, content_type="application/json").status_code == 200

    families = _families(client)

    rejected = families["treeherder_pulse_task_rejected"]
    assert rejected.type == "counter"
    assert rejected.documentation == "Taskcluster messages rejected, by reason"
    name = "treeherder_pulse_task_rejected_total"
    assert _delta(before, families, "treeherder_pulse_task_rejected", name, reason="unknown_repository") == 3
    # The escaped value parses back to exactly what was counted.
    odd = 'odd "quoted" \\ value\nnewline'
    assert _delta(before, families, "treeherder_pulse_task_rejected", name, reason=odd) == 1
    counted = {k: v for k, v in metrics_snapshot().items() if k.startswith(("pulse_task_rejected", "jobs_created"))}
    assert counted == {
        "jobs_created": 5,
        'pulse_task_rejected{reason="unknown_repository"}': 3,
        f'pulse_task_rejected{{reason="{odd}"}}': 1,
    }
    assert families["treeherder_log_parse"].type == "counter"
    assert _delta(before, families, "treeherder_log_parse", "treeherder_log_parse_total", outcome="parsed") == 1
    assert families["treeherder_log_parse_duration_seconds"].type == "histogram"
    assert _delta(
        before, families, "treeherder_graphql_requests", "treeherder_graphql_requests_total",
        operation="RepoList", type="query", outcome="ok",
    ) == 1  # fmt: skip
    duration = families["treeherder_graphql_duration_seconds"]
    assert duration.type == "histogram"
    assert _value(duration, "treeherder_graphql_duration_seconds_count", operation="RepoList") >= 1
    assert _value(duration, "treeherder_graphql_duration_seconds_bucket", operation="RepoList", le="+Inf") >= 1
    assert _value(families["treeherder_graphql_cost"], "treeherder_graphql_cost_count", operation="RepoList") >= 1
    http = families["treeherder_http_requests"]
    assert _value(http, "treeherder_http_requests_total", method="POST", status="200") >= 1
    # ?format=json: the counters, as since the last reset.
    assert client.get("/metrics?format=json").json()["jobs_created"] == 5


def test_a_count_from_another_process_is_summed_once(client: Any) -> None:
    """A second process's increments show in this one's /metrics (multiprocess mode), exactly once."""
    metrics_reset()
    code = "import django; django.setup(); from apps.core.metrics import metrics_incr; metrics_incr('jobs_created', 7)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=process_env(), check=True, timeout=60)

    assert os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert client.get("/metrics?format=json").json()["jobs_created"] == 14
    assert json.loads(json.dumps(metrics_snapshot()))["jobs_created"] == 14


def test_queue_depths_and_scheduled_runs(client: Any) -> None:
    """A scheduled run (the queue-depth sampler, against the real broker) is counted and timed, and
    its sample is a gauge per declared queue."""
    from django.conf import settings
    from kombu import Connection

    from workers.maintenance import sample_queue_depths

    with Connection(settings.CELERY_BROKER_URL) as conn:  # every queue declared, as workers do
        for queue in settings.CELERY_TASK_QUEUES:
            queue(conn.default_channel).declare()
    before = _families(client)

    depths = sample_queue_depths()

    families = _families(client)
    assert set(depths) == {queue.name for queue in settings.CELERY_TASK_QUEUES}
    depth = families["treeherder_queue_depth"]
    assert depth.type == "gauge"
    for queue, count in depths.items():
        assert _value(depth, "treeherder_queue_depth", queue=queue) == count
    task = "maintenance.sample_queue_depths"
    assert (
        _delta(
            before, families, "treeherder_scheduled_runs", "treeherder_scheduled_runs_total", task=task, outcome="ok"
        )
        == 1
    )
    duration = families["treeherder_scheduled_duration_seconds"]
    assert _value(duration, "treeherder_scheduled_duration_seconds_count", task=task) >= 1
